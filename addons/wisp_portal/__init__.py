from . import controllers, models, routers, wizards
