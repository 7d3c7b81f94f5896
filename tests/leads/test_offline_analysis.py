"""The offline engine on realistic lead texts, English and Spanish (rules: docs/lead-scoring.md).

Pure functions: no database, no network.
"""

import pytest

from leads.intelligence.offline import analyze_offline, is_opt_out_keyword, timeline_for_days
from leads.intelligence.schema import TIMELINES, Budget


def case(message, *, intent, budget=(None, None), timeline="unknown", pre=None, lang="en"):
    return pytest.param(message, intent, budget, timeline, pre, lang, id=message[:60])


ENGLISH = [
    # Intent
    case("Hi, I want to sell my house and buy something bigger", intent="both"),
    case("looking to buy a home in the IE", intent="buyer"),
    case("we r looking for a 3 bedroom house for our family", intent="buyer"),
    case("what's my house worth??", intent="seller"),
    case("wat my house worth in this market", intent="seller"),
    case("Thinking about listing my home this year", intent="seller", timeline="6_12_months"),
    case("I'm not selling, only buying. budget 1.5M", intent="buyer", budget=(None, 1_500_000)),
    case("We don't need to sell first, just want to buy", intent="buyer"),
    case("Is the house on Maple still available?", intent="buyer"),
    case("can we schedule a showing this weekend", intent="buyer", timeline="asap"),
    case(
        "We are downsizing, kids moved out. Want something around 400k in Redlands",
        intent="both",
        budget=(None, 400_000),
    ),
    case("Hi", intent="unknown"),
    case("ok", intent="unknown"),
    case("Can you call me tomorrow?", intent="unknown"),
    case("Just browsing for now", intent="unknown"),
    # Budget: single figures fill max only
    case("looking to buy around 450k", intent="buyer", budget=(None, 450_000)),
    case("up to $850K, 3 bed 2 bath", intent="buyer", budget=(None, 850_000)),
    case(
        "Hey! pre-approved for 1.2 million",
        intent="buyer",
        budget=(None, 1_200_000),
        pre=True,
    ),
    case("need something under 300k, first time buyer 🙏", intent="buyer", budget=(None, 300_000)),
    case("Budget is $425,000.", intent="buyer", budget=(None, 425_000)),
    case("im thinking around 425", intent="buyer", budget=(None, 425_000)),
    case("1.5M", intent="buyer", budget=(None, 1_500_000)),
    case("450", intent="buyer", budget=(None, 450_000)),
    case("half a million tops", intent="buyer", budget=(None, 500_000)),
    case("I want to buy a house 🏡🏡 budget 450K!!!", intent="buyer", budget=(None, 450_000)),
    case("lookin 2 buy n riverside round 400k", intent="buyer", budget=(None, 400_000)),
    case("$1.2M budget, looking in Chino Hills", intent="buyer", budget=(None, 1_200_000)),
    case(
        "Is the house on Maple still available? We are pre approved up to 650",
        intent="buyer",
        budget=(None, 650_000),
        pre=True,
    ),
    case("my budget is 425000", intent="buyer", budget=(None, 425_000)),
    case(
        "Hi I'm interested in the 4 bedroom in Fontana listed at 550",
        intent="buyer",
        budget=(None, 550_000),
    ),
    case("How much do houses cost in Hemet?", intent="buyer"),
    # Budget: ranges fill both
    case("between 400 and 500k", intent="buyer", budget=(400_000, 500_000)),
    case("400-450k range, preapproved", intent="buyer", budget=(400_000, 450_000), pre=True),
    case("$400,000 - $450,000", intent="buyer", budget=(400_000, 450_000)),
    case("Looking 800k-1.2m in Eastvale", intent="buyer", budget=(800_000, 1_200_000)),
    case("budget 500 to 550", intent="buyer", budget=(500_000, 550_000)),
    case(
        "we want to upgrade, sell our condo and buy a house in the low 500s",
        intent="both",
        budget=(500_000, 550_000),
    ),
    case("somewhere in the mid 400s", intent="buyer", budget=(425_000, 475_000)),
    case("4-500k in corona", intent="buyer", budget=(400_000, 500_000)),
    case(
        "hi! price range 600-700? we're approved",
        intent="buyer",
        budget=(600_000, 700_000),
        pre=True,
    ),
    # Budget: the value of a home being sold is not a budget
    case("My house is worth 600k, what can you do for me", intent="seller"),
    case(
        "selling mine for 700k and buying around 500k",
        intent="both",
        budget=(None, 500_000),
    ),
    case("Selling my 600k house to buy a 450k one", intent="both", budget=(None, 450_000)),
    case(
        "my house is worth about 600, want something around 450-500",
        intent="both",
        budget=(450_000, 500_000),
    ),
    case("We owe 250k on the mortgage and want to list our home for 600", intent="seller"),
    case("Built in 2005, 1800 sq ft, I want to sell for about 650k", intent="seller"),
    case(
        "selling my house in hemet, worth around 400k. need to sell asap",
        intent="seller",
        timeline="asap",
    ),
    # Budget: numbers that are not prices
    case(
        "I'm buying with my wife, we make 150k a year and have 40k saved for the down payment",
        intent="buyer",
    ),
    case("credit score is around 700, can I still buy?", intent="buyer"),
    case("Call me at (951) 555-0123, want to buy in Murrieta", intent="buyer"),
    case("zip 92336, budget around 500k", intent="buyer", budget=(None, 500_000)),
    case(
        "looking for a 4 bedroom under 650k near good schools, 2500 sqft",
        intent="buyer",
        budget=(None, 650_000),
    ),
    case("can afford about $2,500 a month", intent="unknown"),
    case(
        "Need to sell my place before buying, hoping to get 600k and spend 450k on the next one",
        intent="both",
        budget=(None, 450_000),
    ),
    # Timeline
    case("ASAP!! lease ends this month", intent="unknown", timeline="asap"),
    case("need to move right away", intent="unknown", timeline="asap"),
    case("in a few weeks hopefully", intent="unknown", timeline="asap"),
    case(
        "cash buyer, 550k max, can close in 2 weeks",
        intent="buyer",
        budget=(None, 550_000),
        timeline="asap",
        pre=True,
    ),
    case(
        "Budget is $425,000. We want to close in 2 months",
        intent="buyer",
        budget=(None, 425_000),
        timeline="1_3_months",
    ),
    case("next 60-90 days", intent="unknown", timeline="1_3_months"),
    case("In 45 days or so", intent="unknown", timeline="1_3_months"),
    case(
        "between 400 and 500k, hoping to buy in the next 3-6 months",
        intent="buyer",
        budget=(400_000, 500_000),
        timeline="3_6_months",
    ),
    case("6 months", intent="unknown", timeline="3_6_months"),
    case("in half a year", intent="unknown", timeline="3_6_months"),
    case("prob in 7 months", intent="unknown", timeline="6_12_months"),
    case("within a year", intent="unknown", timeline="6_12_months"),
    case(
        "We got approved for 475k!! 🎉 want to be in a home by the end of the year",
        intent="buyer",
        budget=(None, 475_000),
        timeline="6_12_months",
        pre=True,
    ),
    case("we'd like to buy in 2 years, no rush", intent="buyer", timeline="12_plus_months"),
    case("maybe a year or two", intent="unknown", timeline="12_plus_months"),
    case("it will be a while, at least a year", intent="unknown", timeline="12_plus_months"),
    case("we are buying within the next thirty days", intent="buyer", timeline="asap"),
    case("someday, no rush", intent="unknown"),
    case("we want to move by summer", intent="unknown"),
    case(
        "What's my house worth? Thinking of selling next year",
        intent="seller",
        timeline="12_plus_months",
    ),
    case("not anytime soon, maybe next year", intent="unknown", timeline="12_plus_months"),
    case(
        "We've lived in our house for 10 years and want to sell it in a couple of months",
        intent="seller",
        timeline="1_3_months",
    ),
    case("how soon can I see it? Looking to buy", intent="buyer"),
    # Financing
    case(
        "Not pre-approved yet, looking for a 3 bedroom home in Riverside",
        intent="buyer",
        pre=False,
    ),
    case(
        "I haven't talked to a lender, want to buy in 6 months",
        intent="buyer",
        timeline="3_6_months",
        pre=False,
    ),
    case(
        "I have a pre-approval letter from my bank for 480k",
        intent="buyer",
        budget=(None, 480_000),
        pre=True,
    ),
    case("No, I don't need a lender, I'm paying cash", intent="buyer", pre=True),
    case("i'm pre-qualified, want to see 123 Main St", intent="buyer", pre=True),
    case("need to get pre-approved first", intent="buyer", pre=False),
    case("I'm not approved", intent="buyer", pre=False),
    case(
        "I was pre-approved last year but it expired, haven't talked to a lender since",
        intent="buyer",
        pre=False,
    ),
    case(
        "I'm pre-approved but my house is worth 600k, need to sell first",
        intent="both",
        pre=True,
    ),
]

SPANISH = [
    case("quiero vender mi casa", intent="seller", lang="es"),
    case("busco casa", intent="buyer", lang="es"),
    case("hola quiero comprar una casa", intent="buyer", lang="es"),
    case("Hola! Quiero comprar una casa 🏠", intent="buyer", lang="es"),
    case("quiero vender y comprar algo más grande", intent="both", lang="es"),
    case("no quiero vender, solo comprar", intent="buyer", lang="es"),
    case("Buenas tardes, cuánto vale mi casa en Rialto?", intent="seller", lang="es"),
    case("mi casa vale como 600 mil", intent="seller", lang="es"),
    case(
        "hola, me interesa la casa de la calle Baseline, ¿sigue disponible?",
        intent="buyer",
        lang="es",
    ),
    case("Hola buenas noches", intent="unknown", lang="es"),
    case("cuánto cuesta?", intent="unknown", lang="es"),
    case("cuanto cuesta la casa de 3 recamaras", intent="buyer", lang="es"),
    case("Tengo un crédito de 700 y quiero comprar", intent="buyer", lang="es"),
    case(
        "estamos buscando casa en Victorville, tenemos como 20 mil para el down payment",
        intent="buyer",
        lang="es",
    ),
    case("ahorita solo estoy viendo", intent="unknown", lang="es"),
    case("Compramos en diciembre", intent="buyer", lang="es"),
    case(
        "Hola, buscamos una casa en Fontana de 350 a 400 mil",
        intent="buyer",
        budget=(350_000, 400_000),
        lang="es",
    ),
    case("tenemos un presupuesto de 450 mil", intent="buyer", budget=(None, 450_000), lang="es"),
    case(
        "Estoy preaprobado por medio millón",
        intent="buyer",
        budget=(None, 500_000),
        pre=True,
        lang="es",
    ),
    case("450 mil dólares máximo", intent="buyer", budget=(None, 450_000), lang="es"),
    case(
        "presupuesto de trescientos cincuenta mil",
        intent="buyer",
        budget=(None, 350_000),
        lang="es",
    ),
    case(
        "presupuesto de un millón y medio",
        intent="buyer",
        budget=(None, 1_500_000),
        lang="es",
    ),
    case(
        "estamos aprobados por 1,5 millones",
        intent="buyer",
        budget=(None, 1_500_000),
        pre=True,
        lang="es",
    ),
    case(
        "buscamos algo como de 425.000 en Ontario",
        intent="buyer",
        budget=(None, 425_000),
        lang="es",
    ),
    case(
        "entre 400 y 450 mil, en Riverside o Moreno Valley",
        intent="buyer",
        budget=(400_000, 450_000),
        lang="es",
    ),
    case(
        "Vendo mi casa en 550 mil y quiero comprar otra de 400 mil",
        intent="both",
        budget=(None, 400_000),
        lang="es",
    ),
    case(
        "quiero vender mi casa en Corona, vale unos 700 mil, y comprar en Temecula hasta 600 mil",
        intent="both",
        budget=(None, 600_000),
        lang="es",
    ),
    case(
        "mi esposo y yo queremos una casa en Perris, ganamos 90 mil al año",
        intent="buyer",
        lang="es",
    ),
    case("tenemos 30 mil de enganche, buscamos casa", intent="buyer", lang="es"),
    case(
        "Quiero comprar mi primera casa, puedo pagar hasta 2,000 al mes",
        intent="buyer",
        lang="es",
    ),
    case("quiero comprar lo antes posible", intent="buyer", timeline="asap", lang="es"),
    case("necesitamos mudarnos cuanto antes", intent="unknown", timeline="asap", lang="es"),
    case("queremos comprar ya!", intent="buyer", timeline="asap", lang="es"),
    case("en un par de semanas", intent="unknown", timeline="asap", lang="es"),
    case("dentro de un mes", intent="unknown", timeline="asap", lang="es"),
    case(
        "buscamos casa de 4 recamaras, alrededor de 500 mil, para este mes",
        intent="buyer",
        budget=(None, 500_000),
        timeline="asap",
        lang="es",
    ),
    case("queremos comprar en dos meses", intent="buyer", timeline="1_3_months", lang="es"),
    case("en unos 3 meses", intent="unknown", timeline="1_3_months", lang="es"),
    case(
        "vivimos aquí hace 10 años, queremos vender en 2 meses",
        intent="seller",
        timeline="1_3_months",
        lang="es",
    ),
    case("en seis meses más o menos", intent="unknown", timeline="3_6_months", lang="es"),
    case(
        "tengo 3 recamaras y 2 baños, quiero venderla en 3 a 6 meses",
        intent="seller",
        timeline="3_6_months",
        lang="es",
    ),
    case("dentro de un año", intent="unknown", timeline="6_12_months", lang="es"),
    case("en 2 años", intent="unknown", timeline="12_plus_months", lang="es"),
    case("al menos en un año", intent="unknown", timeline="12_plus_months", lang="es"),
    case("tal vez en 3 o 4 meses", intent="unknown", timeline="3_6_months", lang="es"),
    case(
        "sin prisa, tal vez el año que viene",
        intent="unknown",
        timeline="12_plus_months",
        lang="es",
    ),
    case(
        "pensamos comprar el próximo año",
        intent="buyer",
        timeline="12_plus_months",
        lang="es",
    ),
    case("no estoy preaprobado todavía", intent="buyer", pre=False, lang="es"),
    case("No hemos hablado con ningún prestamista", intent="buyer", pre=False, lang="es"),
    case("todavía no tengo preaprobación", intent="buyer", pre=False, lang="es"),
    case("necesito ayuda con el préstamo", intent="buyer", pre=False, lang="es"),
    case("ya estoy pre-aprobada con el banco", intent="buyer", pre=True, lang="es"),
    case(
        "Somos compradores de primera vez, precalificados hasta 380 mil",
        intent="buyer",
        budget=(None, 380_000),
        pre=True,
        lang="es",
    ),
    case(
        "pagamos en efectivo, hasta 300 mil",
        intent="buyer",
        budget=(None, 300_000),
        pre=True,
        lang="es",
    ),
]


@pytest.mark.parametrize(
    ("message", "intent", "budget", "timeline", "pre", "lang"), ENGLISH + SPANISH
)
def test_offline_engine_reads_the_lead_message(message, intent, budget, timeline, pre, lang):
    analysis = analyze_offline(message=message)

    assert analysis.intent == intent
    assert analysis.budget == Budget(min=budget[0], max=budget[1])
    assert analysis.timeline == timeline
    assert analysis.pre_approved is pre
    assert analysis.language == lang
    assert analysis.engine == "offline"


def test_the_table_is_broad_and_bilingual():
    assert len(ENGLISH) + len(SPANISH) >= 80
    assert len(SPANISH) >= 30


@pytest.mark.parametrize(
    ("days", "timeline"),
    [
        (0, "asap"),
        (30, "asap"),
        (31, "1_3_months"),
        (90, "1_3_months"),
        (91, "3_6_months"),
        (180, "3_6_months"),
        (181, "6_12_months"),
        (365, "6_12_months"),
        (366, "12_plus_months"),
        (None, "unknown"),
    ],
)
def test_timeline_bucket_holds_its_upper_boundary(days, timeline):
    assert timeline_for_days(days) == timeline
    assert timeline in TIMELINES


@pytest.mark.parametrize(
    ("message", "timeline"),
    [
        ("we need to be moved in within 30 days", "asap"),
        ("closing in 31 days", "1_3_months"),
        ("we need to move in 90 days", "1_3_months"),
        ("in about 3 months", "1_3_months"),
        ("about 180 days from now", "3_6_months"),
        ("in 3-6 months", "3_6_months"),
        ("next 6 months", "3_6_months"),
        ("within 365 days", "6_12_months"),
        ("in 12 months", "6_12_months"),
        ("in 13 months", "12_plus_months"),
        ("in 18 months", "12_plus_months"),
        ("we want to move in 3 months to a bigger house", "1_3_months"),
        ("a week or two", "asap"),
        ("un mes o dos", "1_3_months"),
        ("en 2 años y 6 meses", "12_plus_months"),
        ("en 4 semanas", "asap"),
        ("en 6 semanas", "1_3_months"),
        ("en 90 días", "1_3_months"),
        ("en 180 días", "3_6_months"),
    ],
)
def test_timeline_boundaries_use_the_upper_end_of_the_window(message, timeline):
    assert analyze_offline(message=message).timeline == timeline


@pytest.mark.parametrize(
    "message",
    [
        "we've been renting for 6 years",
        "my credit is 2 years old",
        "we have lived there 3 years",
        "llevamos 5 años rentando",
    ],
)
def test_durations_that_are_not_a_moving_window_leave_the_timeline_unknown(message):
    assert analyze_offline(message=message).timeline == "unknown"


@pytest.mark.parametrize(
    ("message", "area"),
    [
        ("looking in Chino Hills or fontana, 3 bed 2 bath", "Chino Hills, Fontana"),
        ("quiero comprar en Rancho Cucamonga", "Rancho Cucamonga"),
        ("something in the Inland Empire", "Inland Empire"),
        ("selling in Lake Elsinore, buying in Menifee", "Lake Elsinore, Menifee"),
        ("moving from LA", ""),
    ],
)
def test_area_names_the_cities_mentioned(message, area):
    assert analyze_offline(message=message).area == area


@pytest.mark.parametrize(
    "message",
    ["STOP", "stop.", "Stop!!", " UNSUBSCRIBE ", "opt-out", "Opt out", "ALTO", "Cancelar"],
)
def test_plain_stop_keywords_are_opt_outs(message):
    analysis = analyze_offline(message=message)

    assert is_opt_out_keyword(message)
    assert analysis.opt_out is True
    assert analysis.score == 0


@pytest.mark.parametrize(
    "message", ["stop sending me listings under 300k", "don't stop", "when does escrow end?"]
)
def test_a_stop_word_inside_a_sentence_is_not_the_keyword(message):
    assert analyze_offline(message=message).opt_out is False


def test_phone_number_and_zip_code_are_not_a_budget():
    analysis = analyze_offline(message="text me at 909-555-1234, we're in 92336, want to buy")

    assert analysis.budget == Budget()
    assert analysis.intent == "buyer"


def test_a_down_payment_percentage_is_not_a_budget_but_the_price_is():
    analysis = analyze_offline(message="20% down on a 500k home")

    assert analysis.budget == Budget(max=500_000)


def test_years_bedrooms_and_square_feet_are_not_a_budget():
    analysis = analyze_offline(message="want a 4 bed, 2,400 sqft, built after 2010, 3 car garage")

    assert analysis.budget == Budget()


# --------------------------------------------------------------------------------------------
# History: earlier inbound messages count unless the latest one contradicts them
# --------------------------------------------------------------------------------------------


def test_history_supplies_intent_and_area_the_latest_message_lacks():
    analysis = analyze_offline(
        message="budget is around 450k", history=["Hi, I'm looking to buy in Fontana"]
    )

    assert analysis.intent == "buyer"
    assert analysis.budget == Budget(max=450_000)
    assert analysis.area == "Fontana"


def test_history_keeps_spanish_when_the_latest_message_is_too_short_to_tell():
    analysis = analyze_offline(message="ok 👍", history=["hola, busco casa en Fontana"])

    assert analysis.language == "es"
    assert analysis.intent == "buyer"


def test_latest_message_switches_language_when_it_is_clear():
    analysis = analyze_offline(
        message="sorry, can we talk in English?", history=["hola, busco casa"]
    )

    assert analysis.language == "en"


def test_latest_timeline_overrides_the_earlier_one():
    analysis = analyze_offline(
        message="actually more like 6 months", history=["I want to buy asap"]
    )

    assert analysis.timeline == "3_6_months"
    assert analysis.intent == "buyer"


def test_earlier_timeline_survives_a_message_that_does_not_state_one():
    analysis = analyze_offline(message="3 bed, 2 bath", history=["queremos comprar en dos meses"])

    assert analysis.timeline == "1_3_months"


def test_latest_budget_replaces_the_earlier_budget_entirely():
    analysis = analyze_offline(
        message="we can go up to 450k now", history=["budget between 380 and 400k"]
    )

    assert analysis.budget == Budget(min=None, max=450_000)


def test_earlier_budget_survives_a_message_that_does_not_state_one():
    analysis = analyze_offline(message="in 3 months", history=["between 400 and 450k"])

    assert analysis.budget == Budget(min=400_000, max=450_000)
    assert analysis.timeline == "1_3_months"


def test_a_figure_from_a_seller_only_lead_is_not_a_budget():
    analysis = analyze_offline(message="around 600k", history=["I want to sell my house"])

    assert analysis.intent == "seller"
    assert analysis.budget == Budget()


def test_selling_added_to_an_earlier_purchase_makes_both():
    analysis = analyze_offline(message="I'm also selling my condo", history=["I want to buy"])

    assert analysis.intent == "both"


def test_saying_no_longer_selling_overrides_an_earlier_sale():
    analysis = analyze_offline(
        message="Actually not selling anymore, just buying", history=["I want to sell"]
    )

    assert analysis.intent == "buyer"


def test_a_new_pre_approval_overrides_an_earlier_not_yet():
    analysis = analyze_offline(
        message="Update: got pre-approved today!", history=["I'm not pre-approved yet"]
    )

    assert analysis.pre_approved is True


def test_financing_from_history_survives_when_the_latest_message_is_silent():
    analysis = analyze_offline(
        message="looking in Corona", history=["no hemos hablado con ningún prestamista"]
    )

    assert analysis.pre_approved is False
    assert analysis.area == "Corona"


def test_history_facts_feed_the_score():
    alone = analyze_offline(message="in 2 months")
    with_history = analyze_offline(
        message="in 2 months", history=["pre-approved for 500k, want to buy in Fontana"]
    )

    assert with_history.score > alone.score
    assert with_history.temperature == "hot"


def test_no_history_and_empty_history_agree():
    message = "busco casa en Riverside, 400 mil, en 3 meses"

    assert analyze_offline(message=message) == analyze_offline(message=message, history=[])


def test_analysis_is_deterministic():
    message = "selling mine for 700k and buying around 500k within 30 days, pre approved"

    assert analyze_offline(message=message) == analyze_offline(message=message)


def test_opt_out_reflects_the_latest_message_only():
    analysis = analyze_offline(message="actually yes, still want to buy", history=["STOP"])

    assert analysis.opt_out is False
