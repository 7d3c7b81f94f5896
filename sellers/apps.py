from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "sellers"
    verbose_name = "Sellers and properties"

    def ready(self):
        from leads.bots.base import register_bot
        from leads.bots.texts import register_default_texts
        from leads.models import BotKind
        from leads.services.conversations import register_stage_advancer
        from sellers.bot import SELLER_TEXTS, seller_bot
        from sellers.services.qualification import (
            advance_seller_conversation,
            next_seller_stage_label,
        )

        register_default_texts(SELLER_TEXTS)
        register_bot(seller_bot)
        # "Advance stage" on a seller conversation moves the seller to the next question.
        register_stage_advancer(
            BotKind.SELLER, advance_seller_conversation, describe=next_seller_stage_label
        )
