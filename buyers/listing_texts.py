"""Wording of the listings buyers are sent (top matches and alerts), in English and Spanish.

Registered with the bots' texts (``leads.bots.texts.register_default_texts``), so staff edit
them in the admin like every other bot message. Placeholders: {first_name}/{greeting_name},
{count}, {n}, {beds}, {baths}, {city}, {price}, {old_price}, {link}.
"""

LISTING_TEXTS: dict[str, dict[str, str]] = {
    "matches_intro": {
        "en": "Hi{greeting_name}, here are {count} homes for sale that fit what you told me:",
        "es": "Hola{greeting_name}, estas son {count} casas en venta que encajan con lo que me dijo:",
    },
    "matches_intro_one": {
        "en": "Hi{greeting_name}, here is a home for sale that fits what you told me:",
        "es": "Hola{greeting_name}, esta casa en venta encaja con lo que me dijo:",
    },
    "matches_item": {
        "en": "{n}) {city}, {beds} bd/{baths} ba, {price}: {link}",
        "es": "{n}) {city}, {beds} rec/{baths} baños, {price}: {link}",
    },
    "matches_outro": {
        "en": "Reply here if one catches your eye.",
        "es": "Responda aquí si alguna le interesa.",
    },
    "listing_alert": {
        "en": "Hi{greeting_name}, a home for sale fits what you're looking for: {city}, {beds} bd/{baths} ba, {price}. {link} Reply here if you'd like to see it.",
        "es": "Hola{greeting_name}, una casa en venta encaja con lo que busca: {city}, {beds} rec/{baths} baños, {price}. {link} Responda aquí si le gustaría verla.",
    },
    "listing_alert_price_drop": {
        "en": "Hi{greeting_name}, the home in {city} I sent you has a new price: {price} (was {old_price}). {link}",
        "es": "Hola{greeting_name}, la casa en {city} que le envié tiene nuevo precio: {price} (antes {old_price}). {link}",
    },
    "listing_alert_subject": {
        "en": "A home for sale that fits what you're looking for",
        "es": "Una casa en venta que encaja con lo que busca",
    },
}
