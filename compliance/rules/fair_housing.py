"""Fair Housing guard: flag protected-class questions in, block steering phrases out.

Bot messages are "statements" under FHA §804(c) / 24 CFR 100.75 [F3][F13], and steering
(24 CFR 100.70) is unlawful even when well meant [F11]. So:

- ``detect_protected_topic`` flags INBOUND questions about who lives in an area, about a
  protected class (federal: race, color, religion, sex, national origin, familial status,
  disability [F1]; California adds primary language, source of income, sexual orientation
  and gender identity [F11]) or about whether an area is "safe"/"good". A flagged message
  gets ``fair_housing_reply`` (objective public sources, the same for everyone [F10]) and
  goes to Jorge; the bot never characterises the area.
- ``find_prohibited_phrases`` checks OUTBOUND bot text against the design list in
  docs/compliance.md (HUD's 1995 advertising guidance [F3][F4], 24 CFR 109.20 [F5], the
  Pennsylvania list [F6] and the code words in [F7]).

Questions about school ratings are NOT flagged: HUD allows objective school and crime data
when it is given equitably and consistently [F10], so the bot may point every lead to the
same public source. Physical features of the home ("wheelchair accessible", "chapel",
"master bedroom", "walking distance to bus stop") are acceptable [F3][F14] and pass.

Patterns run on folded text (lower case, no accents or punctuation), so matches are
reported in that form ("youd fit in").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._text import fold

ProtectedTopic = Literal[
    "race_color",
    "national_origin",
    "religion",
    "sex",
    "sexual_orientation_gender_identity",
    "familial_status",
    "disability",
    "primary_language",
    "source_of_income",
    "area_demographics",
    "neighborhood_safety",
]

# What an outbound finding is about: a protected class above, or how it was said.
OutboundCategory = Literal[
    "race_color",
    "national_origin",
    "religion",
    "sex",
    "sexual_orientation_gender_identity",
    "familial_status",
    "disability",
    "primary_language",
    "source_of_income",
    "neighborhood_safety",
    "area_demographics",
    "steering",
    "code_word",
]


@dataclass(frozen=True)
class FairHousingFlag:
    """Why an inbound message must not be answered by the bot: the topic and the words."""

    topic: ProtectedTopic
    matched: str


# --- Vocabulary (folded forms) ---------------------------------------------------------

_AREA = (
    r"(?:neighbou?rhoods?|hoods?|areas?|communit(?:y|ies)|parts? of town|sides? of town|"
    r"zip(?: codes?)?|streets?|blocks?|cit(?:y|ies)|towns?|subdivisions?|place to live)"
)
_PEOPLE = (
    r"(?:people|persons|folks|families|residents|neighbou?rs|population|communit(?:y|ies)|"
    r"crowd|kids|children|neighbou?rhoods?|areas?|parts? of town|households?|homeowners|"
    r"owners|tenants|renters|enclaves?|couples?|professionals|retirees|men|women|guys|"
    r"buyers|homebuyers)"
)
# Census races and colour words.
_RACE_ADJ = (
    r"(?:white|black|brown|caucasian|african american|asian|native american|"
    r"pacific islander|minority|colou?red|dark skinned|light skinned)"
)
_RACE_PLURAL = r"(?:whites|blacks|caucasians|african americans|asians|minorities|people of colou?r)"
# Ethnicities and nationalities: national origin.
_ORIGIN_ADJ = (
    r"(?:hispanic|latino|latina|latinx|mexican|chinese|korean|vietnamese|filipino|indian|"
    r"arab|middle eastern|african|armenian|persian|russian|european|ethnic|immigrant|"
    r"foreign|salvadoran|guatemalan|japanese|american born)"
)
_ORIGIN_PLURAL = (
    r"(?:hispanics|latinos|latinas|latinxs|mexicans|koreans|filipinos|indians|arabs|africans|"
    r"armenians|persians|russians|immigrants|foreigners|illegals|gringos|chinese people|"
    r"vietnamese people|salvadorans|guatemalans)"
)
_COUNTRIES = (
    r"(?:mexico|china|india|korea|vietnam|the philippines|philippines|armenia|iran|russia|"
    r"africa|asia|europe|the middle east|central america|el salvador|guatemala|another country|"
    r"other countries|overseas|abroad|latin america|south america)"
)
_ES_COUNTRIES = (
    r"(?:mexico|china|india|corea|vietnam|filipinas|armenia|centroamerica|el salvador|"
    r"guatemala|otro pais|otros paises|afuera|el extranjero|sudamerica|latinoamerica)"
)
_RELIGION_ADJ = (
    r"(?:jewish|muslim|christian|catholic|mormon|lds|hindu|sikh|buddhist|evangelical|"
    r"protestant|orthodox|religious)"
)
_RELIGION_PLURAL = (
    r"(?:jews|muslims|christians|catholics|mormons|hindus|sikhs|buddhists|evangelicals|"
    r"protestants|atheists)"
)
_WORSHIP_PLURAL = r"(?:churches|mosques|masjids|synagogues|temples|parishes)"
_LANGUAGES = (
    r"(?:english|spanish|chinese|mandarin|cantonese|korean|vietnamese|tagalog|armenian|"
    r"arabic|farsi|russian|hindi|punjabi)"
)
_ES_RACE = (
    r"(?:blanc[oa]s?|negr[oa]s?|moren[oa]s?|asiatic[oa]s?|afroamerican[oa]s?|guer[oa]s?|"
    r"anglos?|gente de color|personas de color)"
)
_ES_ORIGIN = (
    r"(?:latin[oa]s?|hispan[oa]s?|mexican[oa]s?|chin[oa]s?|gring[oa]s?|extranjer[oa]s?|"
    r"inmigrantes?|armeni[oa]s?|arabes?|corean[oa]s?|filipin[oa]s?|indigenas?|"
    r"centroamerican[oa]s?|salvadorenos?|guatemaltecos?|americanos?)"
)
_ES_RELIGION = (
    r"(?:judi[oa]s?|musulman(?:a|as|es)?|cristian[oa]s?|catolic[oa]s?|mormon(?:a|as|es)?|"
    r"evangelic[oa]s?|protestantes?)"
)
_ES_SOGI = r"(?:gays?|lesbianas?|homosexuales?|transexuales?|transgeneros?|personas trans|lgbt\w*)"
_ES_AREA = r"(?:barrio|zona|area|colonia|vecindario|comunidad|ciudad|calle|lugar|cuadra|edificio)"
_ES_WHO = r"(?:gente|personas|familias|vecinos|poblacion|residentes|ninos)"
_ES_QUANTIFIER = (
    r"(?:muchos|muchas|pocos|pocas|puros|puras|puro|pura|solo|mayoria de|mayormente|"
    r"bastantes|varios|varias|demasiados|demasiadas|hay|casi todos|principalmente)"
)
_QUANTIFIER = (
    r"(?:mostly|predominantly|largely|mainly|primarily|heavily|majority|all|very|lots of|"
    r"a lot of|lot of|many|plenty of|full of|tons of|bunch of)"
)


def _compile(rules: list[tuple[str, str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((label, re.compile(pattern)) for label, pattern in rules)


# --- Inbound: protected topics, in priority order --------------------------------------

_INBOUND = _compile(
    [
        # Race and colour
        ("race_color", rf"\b{_RACE_ADJ} {_PEOPLE}\b"),
        ("race_color", rf"\b{_RACE_PLURAL}\b"),
        ("race_color", rf"\b{_QUANTIFIER} {_RACE_ADJ}\b(?! (?:granite|quartz|cabinets|counters))"),
        ("race_color", r"\b(?:racial|racially|what race|race of|skin colou?r)\b"),
        (
            "race_color",
            rf"\b{_ES_QUANTIFIER} (?:de )?(?:gente |personas |familias |vecinos )?{_ES_RACE}\b",
        ),
        ("race_color", rf"\b(?:{_ES_WHO}|{_ES_AREA}) (?:son |es |seran )?(?:de )?{_ES_RACE}\b"),
        ("race_color", r"\b(?:raza|razas|racial|raciales|color de piel)\b"),
        # National origin
        ("national_origin", rf"\b{_ORIGIN_ADJ} {_PEOPLE}\b"),
        ("national_origin", rf"\b{_ORIGIN_PLURAL}\b"),
        ("national_origin", r"\b(?:ethnic|ethnicity|ethnically|nationalit(?:y|ies))\b"),
        (
            "national_origin",
            rf"\b(?:people|neighbou?rs|residents|families|folks|they|owners|tenants)\b(?: \w+){{0,4}} (?:are |is )?(?:mostly |all |mainly |largely )?from {_COUNTRIES}\b",
        ),
        (
            "national_origin",
            rf"\b(?:gente|vecinos|personas|familias|residentes)\b(?: \w+){{0,3}} (?:son |es )?(?:mayormente |todos |casi todos )?de {_ES_COUNTRIES}\b",
        ),
        (
            "national_origin",
            rf"\b{_ES_QUANTIFIER} (?:de )?(?:gente |personas |familias |vecinos )?{_ES_ORIGIN}\b",
        ),
        ("national_origin", rf"\b(?:{_ES_WHO}|{_ES_AREA}) (?:son |es |seran )?{_ES_ORIGIN}\b"),
        ("national_origin", rf"\b(?:vecinos|gente|personas) (?:que sean )?{_ES_ORIGIN}\b"),
        ("national_origin", r"\b(?:etnia|etnias|etnic[oa]s?|nacionalidad(?:es)?)\b"),
        # Religion
        ("religion", rf"\b{_WORSHIP_PLURAL}\b"),
        ("religion", rf"\b{_RELIGION_ADJ} {_PEOPLE}\b"),
        ("religion", rf"\b{_RELIGION_PLURAL}\b"),
        ("religion", r"\breligio(?:n|ns|us)\b"),
        ("religion", r"\b(?:iglesias|mezquitas|sinagogas|templos|religion|religios[oa]s?)\b"),
        (
            "religion",
            rf"\b(?:{_ES_QUANTIFIER} (?:de )?(?:hermanos |gente |personas |familias |vecinos )?|(?:gente|personas|familias|vecinos|{_ES_AREA}) (?:son |es )?){_ES_RELIGION}\b",
        ),
        # Sexual orientation and gender identity
        (
            "sexual_orientation_gender_identity",
            r"\b(?:gays|lesbians|lgbt\w*|queer|transgender|transgenders|trans people|"
            r"homosexuals|bisexuals|transgenero)\b",
        ),
        (
            "sexual_orientation_gender_identity",
            rf"\b(?:gay|lesbian|trans|straight|homosexual) (?:{_PEOPLE}|friendly|bars?)\b",
        ),
        (
            "sexual_orientation_gender_identity",
            r"\b(?:same sex|same gender) (?:couples?|partners?|families|marriages?)\b",
        ),
        ("sexual_orientation_gender_identity", rf"\b{_ES_SOGI}\b"),
        ("sexual_orientation_gender_identity", rf"\b{_ES_AREA} (?:gay|lgbt\w*)\b"),
        # Sex
        (
            "sex",
            r"\bsingle (?:women|woman|moms|mothers|men|dads|fathers|ladies|girls|guys)\b"
            r"(?! (?:looking|here|like me|with))",
        ),
        ("sex", rf"\b{_QUANTIFIER} (?:single )?(?:men|women|males|females|ladies|guys)\b"),
        (
            "sex",
            rf"\b(?:good|great|safe|ok|okay|right|ideal|nice|bad|best) (?:place|{_AREA}|building|complex|spot) for (?:a |an )?(?:single |young |older )?(?:woman|women|girl|girls|lady|ladies|man|men|guy|guys)\b",
        ),
        (
            "sex",
            r"\b(?:mujeres solas|hombres solos|puras mujeres|puros hombres|solo mujeres|"
            r"solo hombres|muchas mujeres|muchos hombres)\b",
        ),
        # Disability
        (
            "disability",
            rf"\b(?:disabled|handicapped|mentally ill|mentally disabled|special needs|blind|deaf|"
            rf"autistic|crippled) {_PEOPLE}\b",
        ),
        (
            "disability",
            r"\b(?:group homes?|halfway houses?|sober living|people with disabilit(?:y|ies)|"
            r"wheelchair users|(?:people|persons|folks|residents|neighbou?rs|tenants) "
            r"(?:in|using|with) (?:wheelchairs?|walkers)|mentally ill|retarded)\b",
        ),
        (
            "disability",
            r"\b(?:discapacitados|minusvalidos|personas con discapacidad|enfermos mentales|"
            r"casas? hogar|hogares? grupales?|personas en silla de ruedas)\b",
        ),
        # Primary language (California)
        ("primary_language", rf"\b{_LANGUAGES} speaking {_PEOPLE}\b"),
        (
            "primary_language",
            rf"\b(?:people|they|neighbou?rs|residents|folks|everyone|everybody|locals|most people) (?:there |around there |over there |in (?:the|that|this) (?:area|neighbou?rhood) )?(?:mostly |only |all )?(?:speak|speaks|talk) {_LANGUAGES}\b",
        ),
        (
            "primary_language",
            r"\b(?:la gente|los vecinos|las personas|todos|ahi|alli|alla) (?:ahi |alli |alla )?habla(?:n)? (?:ingles|espanol|chino|coreano|armenio)\b",
        ),
        (
            "primary_language",
            rf"\bhabla(?:n)? (?:ingles|espanol|chino|coreano|armenio) (?:ahi|alli|alla|en (?:la|esa|esta|el|ese|este) {_ES_AREA})\b",
        ),
        # Source of income (California)
        (
            "source_of_income",
            r"\b(?:section ?8|seccion ?8|housing vouchers?|subsidized housing|low income (?:housing|people|families|residents|tenants|area|neighbou?rhood)|welfare|bajos ingresos|cupones de vivienda)\b",
        ),
        # Familial status
        ("familial_status", r"\b(?:family|kid|child|children) friendly\b"),
        (
            "familial_status",
            rf"\b(?:good|great|nice|safe|ideal|perfect|suitable|right|ok|okay|best|better|bad)(?: {_AREA})? for (?:a |my |our )?(?:(?:young |growing )?famil(?:y|ies)|kids|children|young (?:couples?|famil(?:y|ies)|professionals)|retirees|seniors|singles|couples|a single (?:mom|mother|dad|father|woman|man|person))\b",
        ),
        (
            "familial_status",
            r"\b(?:lots|lot|many|much|plenty|full|bunch|tons|mostly) of (?:young )?(?:families|kids|children|babies|teenagers|teens|retirees|seniors|old people|elderly|older people|young couples|young people|singles|college students)\b",
        ),
        (
            "familial_status",
            r"\b(?:are there|any|other) (?:other |many |a lot of |lots of |any )?(?:kids|children|families|retirees|seniors|teenagers) (?:in|on|around|near|nearby|there|living|to play)\b",
        ),
        (
            "familial_status",
            r"\b(?:families with (?:kids|children)|young (?:families|couples|professionals))\b",
        ),
        (
            # "I'd rather not have a family with little kids next door": a preference about
            # the neighbours, not a need of the lead's own household.
            "familial_status",
            r"\b(?:rather not|dont want|do not want|wouldnt want|would not want|avoid|no)\b(?: \w+){0,4} (?:kids|children|families|family with (?:\w+ )?(?:kids|children)|babies|teenagers|teens)\b(?: \w+){0,2}? (?:next door|nearby|around us|around|near us|in the building|on the street|on the block|upstairs|downstairs)\b",
        ),
        (
            "familial_status",
            rf"\b(?:{_AREA}|building|complex|condo|place) (?:without|with no|with few) (?:kids|children|families)\b",
        ),
        (
            "familial_status",
            r"\b(?:do|does|will|would) (?:they|the hoa|the building|the complex|the landlord|the owner|it|that condo|the condo) (?:allow|accept|permit|take|let in) (?:kids|children|families|babies|teenagers)\b",
        ),
        (
            "familial_status",
            rf"\b(?:buen[oa]?|mal|ideal|perfect[oa]|segur[oa]|adecuad[oa]|apt[oa]|recomendable|bonit[oa]|mal[oa])(?: {_ES_AREA})? para (?:las |los |mi |mis |nuestros |nuestra )?(?:familias?|ninos|ninas|hijos|nenes|parejas jovenes|jubilados|personas mayores|solteros)\b",
        ),
        (
            "familial_status",
            r"\b(?:muchos|muchas|hay|pocos|pocas|otros|otras|bastantes) (?:ninos|ninas|familias|jubilados|ancianos|viejitos|personas mayores|parejas jovenes)\b",
        ),
        (
            "familial_status",
            r"\b(?:familias con (?:ninos|hijos)|(?:zona|barrio|ambiente|colonia) familiar|(?:preferimos|prefiero|queremos|quiero) (?:un lugar |una zona |un barrio )?sin ninos|aceptan ninos|permiten ninos)\b",
        ),
        # "Are most neighbors LDS?": the residents by any protected class
        (
            "area_demographics",
            rf"\b(?:most|all|majority of|mostly) (?:of )?(?:the )?(?:neighbou?rs|residents|people|families|owners)(?: there| here| on the street)?(?: are)? (?:{_RACE_ADJ}|{_ORIGIN_ADJ}|{_RELIGION_ADJ}|gay|straight|trans|lgbt\w*|old|older|young|retired|single)\b",
        ),
        # Who lives there, in general
        ("area_demographics", r"\b(?:demographics?|diverse|diversity|integrated|segregated)\b"),
        (
            "area_demographics",
            r"\b(?:what|which) (?:kind|kinds|type|types|sort) of (?:people|persons|folks|families|neighbou?rs|residents|crowd)\b",
        ),
        (
            "area_demographics",
            r"\bwho (?:lives|live|is living|are living|resides|reside|are the (?:neighbou?rs|residents|people))\b",
        ),
        (
            "area_demographics",
            r"\b(?:what|how) (?:are|is) the (?:people|neighbou?rs|residents|folks|crowd|locals)\b",
        ),
        (
            "area_demographics",
            rf"\b(?:makeup|make up|composition|breakdown|mix) of (?:the )?(?:{_AREA}|population|people|residents)\b",
        ),
        (
            "area_demographics",
            r"\b(?:(?:people|folks|families) like (?:me|us|mine|ours)|(?:would|will|do|could|can) (?:i|we) fit in|near (?:our|my) (?:own )?(?:people|kind)|our own kind)\b",
        ),
        ("area_demographics", r"\b(?:demografi\w*|diversidad|diverso|diversa)\b"),
        (
            "area_demographics",
            r"\bque (?:tipo|tipos|clase|clases) de (?:gente|personas|vecinos|familias)\b",
        ),
        ("area_demographics", r"\b(?:quien|quienes) (?:vive|viven)\b"),
        ("area_demographics", r"\bcomo (?:es|son) (?:la gente|los vecinos|las personas)\b"),
        ("area_demographics", r"\b(?:gente|personas|familias) como (?:yo|nosotros|nosotras)\b"),
        # Safety / "good area": steering-prone, answered only with objective sources
        (
            "neighborhood_safety",
            rf"\b(?:safe|safer|safest|unsafe|dangerous|sketchy|rough|ghetto|shady|bad|good|nice|decent|high crime|low crime) {_AREA}\b",
        ),
        (
            "neighborhood_safety",
            rf"\b(?:is|are|was) (?:the|this|that|it a|its|their) {_AREA} (?:safe|unsafe|dangerous|sketchy|rough|ok|okay|good|nice|decent|bad)\b",
        ),
        ("neighborhood_safety", r"\bhow (?:safe|dangerous|sketchy|rough|bad) is\b"),
        (
            "neighborhood_safety",
            r"\b(?:is it|is that|is this|it is|its|is the area|is the neighbou?rhood) (?:really )?(?:safe|unsafe|dangerous|sketchy|rough)(?= (?:there|around|over there|out there|at night|to live|to walk|for)|$)",
        ),
        (
            "neighborhood_safety",
            r"\bsafe (?:to live|to walk|at night|for (?:my |our )?(?:kids|family|children|wife|daughter|son))\b",
        ),
        (
            "neighborhood_safety",
            r"\b(?:crime|crimes|criminal|criminals|gangs?|shootings?|break ins?)\b",
        ),
        (
            "neighborhood_safety",
            rf"\b{_ES_AREA} (?:es |muy |es muy )?(?:segur[oa]|insegur[oa]|peligros[oa]|buen[oa]|mal[oa]|fe[oa]|tranquil[oa])\b",
        ),
        ("neighborhood_safety", r"\b(?:buen|mal) (?:barrio|vecindario|lugar para vivir)\b"),
        ("neighborhood_safety", r"\b(?:buena|mala) (?:zona|area|colonia|comunidad|ciudad)\b"),
        (
            "neighborhood_safety",
            r"\b(?:es|esta) segur[oa](?= (?:ahi|alli|alla|por ahi|vivir|para|en la noche|de noche)|$)",
        ),
        ("neighborhood_safety", r"\b(?:que tan|cuan|muy) (?:segur[oa]|peligros[oa])\b"),
        (
            "neighborhood_safety",
            r"\b(?:crimen|crimenes|delincuencia|delitos|criminalidad|pandillas|pandilleros|balaceras|asaltos)\b",
        ),
    ]
)


def detect_protected_topic(text: str) -> FairHousingFlag | None:
    """Flag an inbound message that asks about a protected class or characterises an area."""
    folded = fold(text)
    for topic, pattern in _INBOUND:
        found = pattern.search(folded)
        if found:
            return FairHousingFlag(topic=topic, matched=found.group(0))  # type: ignore[arg-type]
    return None


# --- Outbound: phrases a bot reply must never contain ----------------------------------

# Who a draft may not describe: the residents, by a protected class.
_RESIDENTS = (
    r"(?:neighbou?rs|residents|people (?:there|here|who live there)|folks (?:there|here)|"
    r"owners|tenants|families (?:there|here)|the community|homeowners)"
)
_OUT_PEOPLE = (
    r"(?:people|persons|folks|families|residents|neighbou?rs|population|communit(?:y|ies)|"
    r"crowd|neighbou?rhoods?|areas?|parts? of town|households?|homeowners|owners|tenants|"
    r"renters|enclaves?|couples?|professionals|retirees|buyers|homes?|streets?|blocks?|"
    r"zip codes?|town|city|church(?:es)?)"
)
_FOR_PEOPLE = (
    r"(?:great|perfect|ideal|good|best|made|wonderful|nice|better|excellent|suited|built)"
    r"(?: \w+){0,2} for (?:a |an |your |the |young |growing |big |large |small |single |"
    r"retired |older |professional |working |active ){0,3}"
)
# A specific church named as a landmark ("the church on Main Street") is a direction, not a
# selling point to a religion.
_LANDMARK = r"(?! (?:on|at|off|by) (?:\w+ ){0,2}(?:st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|way|ln|lane|main|baseline|sierra|foothill))"

_OUTBOUND = _compile(
    [
        # Safety and "good area" judgements (design list, compliance.md §4.5)
        (
            "neighborhood_safety",
            r"\b(?:safe|safer|safest|unsafe|good|great|nice|decent|bad|rough|sketchy|dangerous|best|better|worst|desirable|undesirable) (?:neighbou?rhoods?|areas?|parts? of town|sides? of town|communit(?:y|ies)|zip codes?)\b",
        ),
        (
            "neighborhood_safety",
            r"\b(?:(?:low|high) crime|crime free|(?:wrong|right) side of the (?:tracks|freeway))\b",
        ),
        (
            "neighborhood_safety",
            r"\bsafe (?:place|city|street|town|to live|for (?:kids|children|families|your family))\b",
        ),
        (
            "neighborhood_safety",
            r"\b(?:crime|crime rate|crime rates) (?:is|are|there is|there are) (?:\w+ )?(?:low|high|bad|down|up|rare|nonexistent|not an issue)\b|\b(?:you|youll|you will|youd|you would|your family will|your kids will) (?:\w+ )?feel (?:safe|secure)\b",
        ),
        # Familial status [F5][F6]
        ("familial_status", r"\b(?:family|kid|child|children) friendly\b"),
        (
            "familial_status",
            rf"\b{_FOR_PEOPLE}(?:famil(?:y|ies)|kids|children|couples?(?: without (?:kids|children))?|newlyweds|singles|retirees|seniors|empty nesters|students|person|mom|dad|bachelors?|parents)\b",
        ),
        (
            "familial_status",
            r"\b(?:good|great|excellent|best|top) schools for (?:your|the) (?:kids|children|little ones|family)\b",
        ),
        ("familial_status", r"\b(?:adults? only|adult (?:building|community|living|complex))\b"),
        ("familial_status", r"\bno (?:\w+ )?(?:kids|children|families|teenagers|minors|babies)\b"),
        (
            "familial_status",
            r"\b(?:mostly|mainly|all|largely|predominantly) (?:retirees|seniors|older (?:folks|people|couples)|young (?:families|couples|professionals)|families|kids|singles|students|empty nesters)\b",
        ),
        (
            "familial_status",
            r"\b(?:not many|hardly any|few|very few|lots of|plenty of|full of|tons of) (?:young )?(?:kids|children|families|teenagers|retirees|seniors|babies)\b",
        ),
        (
            "familial_status",
            r"\b(?:couples?|singles?|one person|mature (?:persons?|couples?|individuals?|adults?)) only\b",
        ),
        (
            "familial_status",
            r"\b(?:mature (?:persons?|couples?|individuals?)|empty nesters?|young (?:couples?|families|professionals)|retired couples?|older (?:couples?|folks|people|residents|neighbou?rs))\b",
        ),
        # "You would fit in" and friends: statements about who belongs [F5][F11]
        (
            "steering",
            r"\b(?:you|youd|you would|youll|you will|yall|you all|your family|your kids) (?:\w+ )?fit (?:right )?in\b",
        ),
        (
            "steering",
            r"\b(?:fit right in|people like (?:you|yourself|yours)|your kind|our kind|your (?:own )?people|kind of people|(?:right|wrong) (?:kind|type|sort) of (?:people|neighbou?rs|families|buyers)|like minded (?:people|neighbou?rs|families))\b",
        ),
        (
            "steering",
            r"\b(?:better|nicer|good|great|right|wrong|different|rough|bad|classier|quality) (?:crowd|class of (?:people|neighbou?rs))\b",
        ),
        (
            "steering",
            rf"\b(?:steer clear of|stay away from|avoid|skip|stick to|stay in|look elsewhere than)(?: \w+){{0,2}} (?:that|this|the|those) (?:side of town|part of town|parts of town|{_AREA})\b",
        ),
        (
            "steering",
            rf"\b(?:evite|evita|no busque en|mejor no (?:busque|vaya|compre) en|alejese de)(?: \w+){{0,2}} (?:esa|ese|esta|este|la|el) {_ES_AREA}\b",
        ),
        # Race and colour, national origin, religion: descriptors of people or areas [F5][F6][F8]
        ("race_color", rf"\b{_QUANTIFIER} {_RACE_ADJ} {_OUT_PEOPLE}\b"),
        (
            "race_color",
            rf"\b(?:mostly|predominantly|largely|mainly|primarily|heavily|majority|all|very) {_RACE_ADJ}\b(?! (?:granite|quartz|cabinets?|counters?|countertops?|walls?|trim|stucco|paint|appliances|tile|floors?|finish(?:es)?))",
        ),
        ("race_color", rf"\b{_RACE_ADJ} (?:{_OUT_PEOPLE})\b"),
        ("race_color", rf"\b{_RACE_PLURAL}\b"),
        (
            "national_origin",
            rf"\b(?:mostly|predominantly|largely|mainly|primarily|heavily|majority|all|very) {_ORIGIN_ADJ}\b",
        ),
        ("national_origin", rf"\b{_ORIGIN_ADJ} (?:{_OUT_PEOPLE})\b"),
        ("national_origin", rf"\b{_ORIGIN_PLURAL}\b"),
        ("national_origin", r"\b(?:ethnic\w*|nationalit(?:y|ies))\b"),
        (
            "religion",
            rf"\b(?:mostly|predominantly|largely|mainly|primarily|heavily|majority|all|very) {_RELIGION_ADJ}\b",
        ),
        ("religion", rf"\b(?:{_RELIGION_ADJ}|kosher|halal) (?:{_OUT_PEOPLE})\b"),
        ("religion", rf"\b{_RELIGION_PLURAL}\b"),
        ("primary_language", rf"\b{_LANGUAGES} (?:speaking {_OUT_PEOPLE}|speakers?)\b"),
        (
            "area_demographics",
            r"\b(?:racial\w*|demographics?|minorit(?:y|ies)|integrated|segregated)\b",
        ),
        ("area_demographics", rf"\bdiverse (?:{_AREA}|population|mix|crowd)\b"),
        (
            "sexual_orientation_gender_identity",
            r"\b(?:gay|lesbian|lgbt\w*|queer|straight|trans|transgender) (?:friendly|neighbou?rhoods?|communit(?:y|ies)|areas?|people|couples?|residents|neighbou?rs|families)\b",
        ),
        ("sexual_orientation_gender_identity", r"\b(?:gays|lesbians|homosexuals)\b"),
        (
            "sexual_orientation_gender_identity",
            r"\b(?:same sex|same gender) (?:couples?|partners?|families)\b",
        ),
        (
            "sex",
            rf"\b{_FOR_PEOPLE}(?:wom[ae]n|m[ae]n|lady|ladies|guys?|girls?|gals?|bachelorettes?)\b",
        ),
        ("sex", r"\b(?:women|men|ladies|males|females) only\b"),
        # Source of income, disability [F6]
        ("source_of_income", r"\b(?:section ?8|no vouchers?|seccion ?8)\b"),
        (
            "disability",
            r"\b(?:able bodied|crippled|deaf|mentally ill|no wheelchairs?|handicapped (?:people|persons|residents|tenants)|"
            r"(?:someone|somebody|anyone|people|persons|folks|a person) (?:in|using|with|who uses) (?:a )?(?:wheelchairs?|walkers?|disabilit(?:y|ies)|handicaps?))\b",
        ),
        # Religion: PA lists "church, near" [F6]; HUD accepts "chapel" on the property [F3]
        (
            "religion",
            rf"\b(?:near|close to|next to|walking distance (?:to|from)|steps (?:from|to)|across from|around the corner from) (?:a |the |your )?(?:(?:st|saint) )?(?:\w+ )?(?:church|churches|mosque|synagogue|temple|parish)\b{_LANDMARK}",
        ),
        (
            "religion",
            r"\b(?:if you|for (?:those|people|anyone|someone) who|since you) (?:go|goes|attend|attends|pray|worship)(?: to)? (?:mass|church|temple|synagogue|mosque|services|shul)\b",
        ),
        # Code words [F7]
        (
            "code_word",
            r"\bexclusive\b(?! (?:listing|right|agency|buyer|seller|agent|representation))",
        ),
        (
            "code_word",
            r"\b(?:restricted|board approval required|private (?:community|neighbou?rhood|enclave|club)|traditional (?:neighbou?rhood|community|values|families|family|area))\b",
        ),
        # Spanish
        (
            "neighborhood_safety",
            rf"\b{_ES_AREA} (?:muy )?(?:segur[oa]|peligros[oa]|insegur[oa]|buen[oa]|mal[oa]|tranquil[oa])\b",
        ),
        (
            "neighborhood_safety",
            r"\b(?:(?:buen|mal|excelente|mejor) (?:barrio|vecindario)|(?:buena|mala|excelente|mejor) (?:zona|colonia|area|comunidad))\b",
        ),
        (
            "familial_status",
            r"\b(?:ideal|perfect[oa]|buen[oa]|excelente|hech[oa]) para (?:las |los |una |un |su |sus )?(?:familias?(?: jovenes)?|ninos|hijos|parejas?(?: joven(?:es)?| sin hijos| mayores)?|solteros|jubilados|personas mayores|recien casados)\b",
        ),
        (
            "familial_status",
            rf"\b(?:ambiente familiar|{_ES_AREA} familiar|solo (?:para )?adultos|sin (?:ninos|hijos)|no (?:hay |se aceptan |aceptamos )?ninos|parejas? joven(?:es)?|familias jovenes|(?:gente|personas) mayor(?:es)?|jubilados)\b",
        ),
        ("steering", r"\b(?:gente|personas) como (?:usted|tu|ustedes)\b"),
        (
            "national_origin",
            rf"\b(?:la mayoria|casi todos|todos|muchos)(?: \w+){{0,3}} son {_ES_ORIGIN}\b|\b{_ES_ORIGIN} como (?:usted|tu|ustedes)\b",
        ),
        (
            "race_color",
            rf"\b(?:la mayoria|casi todos|todos|muchos)(?: \w+){{0,3}} son {_ES_RACE}\b",
        ),
        (
            "religion",
            rf"\b(?:la mayoria|casi todos|todos|muchos)(?: \w+){{0,3}} son {_ES_RELIGION}\b",
        ),
        ("steering", r"\b(?:usted|tu|ustedes|su familia|tu familia) (?:\w+ )?encaja\w*\b"),
        (
            "race_color",
            rf"\b(?:{_ES_AREA}|{_ES_WHO}) (?:es |son )?(?:de )?(?:mayormente |casi todos |puros |puras |muy |principalmente )?{_ES_RACE}\b",
        ),
        ("race_color", rf"\b(?:mayormente|mayoria|{_ES_QUANTIFIER}) {_ES_RACE}\b"),
        (
            "national_origin",
            rf"\b(?:{_ES_AREA}|{_ES_WHO}) (?:es |son )?(?:de )?(?:mayormente |casi todos |puros |puras |muy |principalmente )?{_ES_ORIGIN}\b",
        ),
        ("national_origin", rf"\b(?:mayormente|mayoria|{_ES_QUANTIFIER}) {_ES_ORIGIN}\b"),
        (
            "religion",
            rf"\b(?:{_ES_AREA}|{_ES_WHO}) (?:es |son )?(?:mayormente |casi todos |muy )?{_ES_RELIGION}\b",
        ),
        ("religion", rf"\b(?:mayormente|mayoria|{_ES_QUANTIFIER}) {_ES_RELIGION}\b"),
        (
            "sexual_orientation_gender_identity",
            rf"\b(?:{_ES_AREA}|{_ES_WHO}) (?:es |son )?(?:muy )?{_ES_SOGI}\b|\b(?:muchos|muchas|hay) {_ES_SOGI}\b",
        ),
        (
            "area_demographics",
            r"\b(?:demografi\w*|composicion racial|composicion etnica|raciales|diversidad)\b",
        ),
        (
            "disability",
            r"\b(?:personas|gente|alguien) (?:en|con|que usa) (?:silla de ruedas|andadera|discapacidad)\b",
        ),
        (
            "religion",
            r"\b(?:cerca de|a pasos de|junto a|frente a) (?:la |una |el |un )?(?:iglesia|mezquita|sinagoga|templo)\b(?! (?:de la calle|en la calle|de la avenida|en la avenida|sobre la))",
        ),
        (
            "religion",
            r"\bsi (?:usted |tu )?(?:va|vas|van) a (?:misa|la iglesia|el templo|la mezquita)\b",
        ),
        ("code_word", r"\bexclusiv[oa]s?\b"),
    ]
)


def find_prohibited(text: str) -> list[tuple[str, str]]:
    """Every (category, phrase) a bot draft must not contain, in order, phrases folded."""
    folded = fold(text)
    spans = sorted(
        (m.start(), -m.end(), m.group(0), label)
        for label, pattern in _OUTBOUND
        for m in pattern.finditer(folded)
    )
    found: list[tuple[str, str]] = []
    covered_to = -1
    for _start, neg_end, phrase, label in spans:
        # "young couple" inside "perfect for a young couple" is one finding, not two.
        if -neg_end <= covered_to:
            continue
        covered_to = max(covered_to, -neg_end)
        if all(phrase != seen for _, seen in found):
            found.append((label, phrase))
    return found


def find_prohibited_phrases(text: str) -> list[str]:
    """Every prohibited phrase in an OUTBOUND bot message, in folded form; empty when clean."""
    return [phrase for _category, phrase in find_prohibited(text)]


# --- The answer to a flagged question --------------------------------------------------

# The same objective sources for every lead [F10], named rather than linked: the bot only
# sends links to our own pages.
_REPLIES = {
    "en": (
        "Good question! To treat everyone fairly, I don't describe who lives in an area or "
        "how safe it is. For objective info, please check the local police department's "
        "crime map and the California School Dashboard. Jorge is happy to help with "
        "anything about the home itself!"
    ),
    "es": (
        "¡Buena pregunta! Para tratar a todos por igual, no describo quién vive en una zona "
        "ni qué tan segura es. Para datos objetivos, consulte el mapa de delitos de la "
        "policía local y el California School Dashboard. ¡Jorge con gusto le ayuda con todo "
        "lo de la casa!"
    ),
}


def fair_housing_reply(language: str) -> str:
    """The reply to a flagged question, in "en" or "es" (anything else gets English)."""
    code = (language or "").strip().lower()[:2]
    return _REPLIES.get(code, _REPLIES["en"])
