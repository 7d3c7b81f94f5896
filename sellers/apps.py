from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "sellers"
    verbose_name = "Sellers and properties"

    def ready(self):
        from leads.bots.base import register_bot
        from leads.bots.texts import register_default_texts
        from sellers.bot import SELLER_TEXTS, seller_bot

        register_default_texts(SELLER_TEXTS)
        register_bot(seller_bot)
