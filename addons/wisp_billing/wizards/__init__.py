from . import wisp_gift_card_batch, wisp_wallet_credit
