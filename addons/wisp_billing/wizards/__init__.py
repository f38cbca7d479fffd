from . import wisp_gift_card_batch, wisp_import, wisp_plan_change, wisp_wallet_credit
