"""Default wording of every bot message, in English and Spanish.

Staff override any of these in the admin (``ReplyTemplate``); the code keeps the default.
Placeholders: {first_name}, {agent}, {team}, {greeting_name} and what a bot adds.
"""

import re

AGENT = "Jorge"
TEAM = "Jorge's real-estate team"

# Internal values HighLevel or our own tools put in a contact's source: never shown to a lead.
_INTERNAL_SOURCE_WORDS = frozenset(
    [
        "api",
        "ghl",
        "gohighlevel",
        "highlevel",
        "leadconnector",
        "webhook",
        "webhooks",
        "import",
        "imported",
        "csv",
        "simulate",
        "simulator",
        "simulated",
        "test",
        "testing",
        "system",
        "integration",
        "zapier",
        "crm",
        "sync",
        "bulk",
        "manual",
        "unknown",
        "none",
        "null",
        "other",
        "default",
    ]
)
_READABLE_SOURCE = re.compile(r"[A-Za-zÁÉÍÓÚÑáéíóúñü][A-Za-zÁÉÍÓÚÑáéíóúñü .&'-]{1,39}")


def readable_lead_source(source: str) -> str:
    """The contact's source as a lead may read it ("Zillow", "Realtor.com"), or "" when it is
    an internal value ("simulate_inbound", "ghl_api", "formId123", "API")."""
    source = " ".join(source.split())
    if not _READABLE_SOURCE.fullmatch(source) or re.search(r"[a-z][A-Z]", source):
        return ""  # snake_case, ids with digits, camelCase, addresses: not for a lead's eyes
    if any(word in _INTERNAL_SOURCE_WORDS for word in re.split(r"[ .&-]+", source.lower())):
        return ""
    return source


DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    # --- Lead bot -----------------------------------------------------------------
    "greeting": {
        "en": "Hi{greeting_name}! This is {agent}'s automated assistant with {team}. Thanks for reaching out.",
        "es": "¡Hola{greeting_name}! Soy el asistente automático de {agent}, del equipo de bienes raíces de {agent}. Gracias por escribirnos.",
    },
    "ask_intent": {
        "en": "Are you looking to buy a home, sell one, or both?",
        "es": "¿Busca comprar una casa, vender, o las dos cosas?",
    },
    "ask_timeline": {
        "en": "When are you hoping to make a move?",
        "es": "¿Para cuándo le gustaría hacer el cambio?",
    },
    "ask_budget": {
        "en": "What price range are you shopping in? And are you pre-approved with a lender yet?",
        "es": "¿En qué rango de precio está buscando? ¿Ya está preaprobado con algún banco?",
    },
    "ask_preapproval": {
        "en": "Have you been pre-approved with a lender yet?",
        "es": "¿Ya está preaprobado con algún banco o prestamista?",
    },
    "ask_area": {
        "en": "Which cities or areas are you looking at?",
        "es": "¿En qué ciudades o zonas está buscando?",
    },
    "ask_area_seller": {
        "en": "Which city is the home you'd like to sell in?",
        "es": "¿En qué ciudad está la casa que quiere vender?",
    },
    # Followed by the free times on Jorge's calendar ("booking_offer" below).
    "book_call": {
        "en": "Thanks{greeting_name}, that's everything I need. {agent} will call you personally to go over next steps.",
        "es": "Gracias{greeting_name}, con eso es suficiente. {agent} le llamará personalmente para ver los siguientes pasos.",
    },
    "qualified": {
        "en": "Thanks{greeting_name}! I've shared this with {agent}, who will follow up with options that fit. Anything else I should pass along?",
        "es": "¡Gracias{greeting_name}! Ya le pasé esto a {agent}, quien le dará seguimiento con opciones. ¿Algo más que deba comentarle?",
    },
    "handoff_to_human": {
        "en": "Good question. I'll have {agent} get back to you on that personally.",
        "es": "Buena pregunta. {agent} le responderá eso personalmente.",
    },
    "call_time_noted": {
        "en": "Got it, thanks! I've passed that on to {agent}.",
        "es": "¡Perfecto, gracias! Ya se lo comenté a {agent}.",
    },
    # --- Escalation to a person (leads/services/escalation.py) ------------------------------
    "escalation_ack_person": {
        "en": "Of course. I'll get {agent} for you; he'll reach out to you personally.",
        "es": "Claro que sí. Le aviso a {agent} para que se comunique con usted personalmente.",
    },
    "escalation_ack_complaint": {
        "en": "I'm sorry about this. I'm passing it to {agent} right now so he can reach out to you personally.",
        "es": "Lamento mucho la situación. Se lo paso a {agent} ahora mismo para que se comunique con usted personalmente.",
    },
    "escalation_ack_repeat": {
        "en": "Sorry I couldn't answer that. I'm passing your question to {agent} so he can answer you personally.",
        "es": "Disculpe que no pude responder eso. Le paso su pregunta a {agent} para que le conteste personalmente.",
    },
    "escalation_holding": {
        "en": "Thanks for your patience. {agent}'s team is out of the office right now; someone will get back to you first thing during business hours.",
        "es": "Gracias por su paciencia. El equipo de {agent} está fuera de la oficina en este momento; alguien le responderá a primera hora en horario de oficina.",
    },
    # --- Booking a call with Jorge (leads/bots/booking.py) -----------------------------------
    # {slots}: the numbered times, one a line; {slot}: one time; {zone}: the lead's time zone.
    "booking_offer": {
        "en": "Open times for the call ({zone}):\n{slots}\nReply {choices} to book one.",
        "es": "Horarios libres para la llamada ({zone}):\n{slots}\nResponda {choices} para reservar.",
    },
    "booking_offer_one": {
        "en": "{agent} is free for a quick call on {slot} ({zone}). Does that work for you?",
        "es": "{agent} puede llamarle el {slot} ({zone}). ¿Le queda bien?",
    },
    "booking_no_slots": {
        "en": "We'll be in touch soon to find a time that works for you.",
        "es": "Nos comunicaremos pronto para encontrar un horario que le convenga.",
    },
    "booking_more": {
        "en": "No problem! {agent} is also free at these times ({zone}):\n{slots}\nReply {choices} to book one, or tell me if none work.",
        "es": "¡No hay problema! {agent} también puede llamarle en estos horarios ({zone}):\n{slots}\nResponda {choices} para reservar, o dígame si ninguno le queda.",
    },
    "booking_taken": {
        "en": "Sorry, that time is no longer available. Other open times ({zone}):\n{slots}\nReply {choices} to book one.",
        "es": "Lo siento, ese horario ya no está disponible. Otros horarios libres ({zone}):\n{slots}\nResponda {choices} para reservar.",
    },
    "booking_taken_none": {
        "en": "Sorry, that time is no longer available. {agent} will reach out personally to find another time that works for you.",
        "es": "Lo siento, ese horario ya no está disponible. {agent} se comunicará personalmente para buscar otro horario que le convenga.",
    },
    "booking_confirmed": {
        "en": "You're all set{greeting_name}! {agent} will call you on {slot} ({zone}). If anything changes, just text me here.",
        "es": "¡Listo{greeting_name}! {agent} le llamará el {slot} ({zone}). Si algo cambia, solo escríbame aquí.",
    },
    "booking_clarify": {
        "en": "Sorry, I didn't catch which time works for you. Please reply {choices}, or tell me if none of these times work.",
        "es": "Disculpe, no entendí qué horario le queda mejor. Responda {choices}, o dígame si ninguno le funciona.",
    },
    "booking_clarify_one": {
        "en": "Sorry, I didn't catch that. Does {slot} ({zone}) work for you? Reply yes or no.",
        "es": "Disculpe, no le entendí. ¿Le queda bien el {slot} ({zone})? Responda sí o no.",
    },
    "booking_hand_over": {
        "en": "No problem{greeting_name}. {agent} will reach out personally to find a time that works for you.",
        "es": "No hay problema{greeting_name}. {agent} se comunicará personalmente para encontrar un horario que le convenga.",
    },
    "booking_unconfirmed": {
        "en": "Thanks{greeting_name}! {agent} will confirm that time with you personally shortly.",
        "es": "¡Gracias{greeting_name}! {agent} le confirmará ese horario personalmente en breve.",
    },
    # --- Keywords and consent ----------------------------------------------------------
    "opt_out_confirmation": {
        "en": "You're unsubscribed from {team} automated texts and won't get more. Reply START to resubscribe.",
        "es": "Ya no recibirá mensajes automáticos de {team}. Responda START para volver a suscribirse.",
    },
    "opt_in_confirmation": {
        "en": "You're resubscribed to {team} texts. Reply STOP at any time to opt out.",
        "es": "Volvió a suscribirse a los mensajes de {team}. Responda STOP cuando quiera para darse de baja.",
    },
    "help": {
        "en": "{team}: automated assistant for {agent}, a real-estate agent. For help, reply here and {agent} will get back to you. Reply STOP to opt out. Msg & data rates may apply.",
        "es": "{team}: asistente automático de {agent}, agente de bienes raíces. Para ayuda, responda aquí y {agent} le contestará. Responda STOP para darse de baja. Pueden aplicar tarifas.",
    },
    # --- Nurture follow-ups (step 1..5) ------------------------------------------------
    "followup_1": {
        "en": "Hi{greeting_name}, just checking in. Are you still thinking about a move? Happy to help whenever you're ready.",
        "es": "Hola{greeting_name}, solo para saludarle. ¿Sigue pensando en mudarse? Con gusto le ayudo cuando esté listo.",
    },
    "followup_2": {
        "en": "Hi{greeting_name}, the market keeps moving in the Inland Empire. Would it help if {agent} sent you a few homes or recent sales to look at?",
        "es": "Hola{greeting_name}, el mercado sigue moviéndose en el Inland Empire. ¿Le ayudaría que {agent} le mandara algunas casas o ventas recientes?",
    },
    "followup_3": {
        "en": "Hi{greeting_name}, no rush at all. If your plans changed, just let me know and I'll update {agent}.",
        "es": "Hola{greeting_name}, sin prisa. Si cambiaron sus planes, avíseme y se lo comento a {agent}.",
    },
    "followup_4": {
        "en": "Hi{greeting_name},\n\nI wanted to share a quick update from {team}: {agent} keeps an eye on homes and recent sales in your area and is glad to walk you through what they mean for you, with no obligation.\n\nJust reply to this email whenever it suits you.\n\n{agent}'s automated assistant",
        "es": "Hola{greeting_name},\n\nLe comparto una actualización de {team}: {agent} sigue de cerca las casas y ventas recientes en su zona y con gusto le explica qué significan para usted, sin compromiso.\n\nResponda a este correo cuando le convenga.\n\nAsistente automático de {agent}",
    },
    "followup_4_subject": {
        "en": "An update on homes in your area",
        "es": "Novedades sobre casas en su zona",
    },
    "followup_4_sms": {
        "en": "Hi{greeting_name}, {agent} keeps an eye on homes and recent sales in your area. Want a quick update on what they mean for you? No obligation.",
        "es": "Hola{greeting_name}, {agent} sigue de cerca las casas y ventas recientes en su zona. ¿Le gustaría una actualización rápida? Sin compromiso.",
    },
    "followup_5": {
        "en": "Hi{greeting_name}, this is my last check-in for now. Whenever you're ready to buy or sell, text me here and {agent} will take it from there.",
        "es": "Hola{greeting_name}, este es mi último mensaje por ahora. Cuando esté listo para comprar o vender, escríbame aquí y {agent} le atenderá.",
    },
}


def register_default_texts(texts: dict[str, dict[str, str]]) -> None:
    """Add an app's bot messages (call from its ``AppConfig.ready()``); keys must be new."""
    clashes = set(texts) & set(DEFAULT_TEXTS)
    if clashes:
        raise ValueError(f"Bot message keys already taken: {sorted(clashes)}")
    DEFAULT_TEXTS.update(texts)
