"""The one message that shows a buyer the listings that fit them best.

The buyer bot calls ``matches_message(contact)`` and sends the text as it is (it holds links
to our own listing pages; a reworded copy would lose them). ``compose_matches`` gives the
same text with the listings and their scores, for the turn's audit row.
"""

from dataclasses import dataclass
from decimal import Decimal

from buyers.selectors import Match, top_matches
from leads.models import Contact
from leads.selectors import reply_text
from sellers.models import Property
from sellers.selectors import listing_public_url


@dataclass(frozen=True)
class MatchesMessage:
    text: str
    listings: list[dict]  # {"property", "price", "score", "explanation"} for each listing, in order

    def audit_data(self) -> dict:
        return {"listings": self.listings}


def listing_placeholders(home: Property, *, language: str) -> dict:
    """A listing's values for the message templates: city, beds, baths, price, link."""
    baths = Decimal(home.baths).normalize()
    return {
        "city": home.city,
        "beds": home.beds,
        "baths": f"{baths:f}",
        "price": f"${home.list_price:,}",
        "link": listing_public_url(home, language=language),
    }


def compose_matches(contact: Contact, *, limit: int = 3) -> MatchesMessage | None:
    """The top matches as one short message in the contact's language; None if none fits."""
    matches: list[Match] = top_matches(contact=contact, limit=limit)
    if not matches:
        return None
    language = contact.language
    intro_key = "matches_intro_one" if len(matches) == 1 else "matches_intro"
    lines = [
        reply_text(
            key=intro_key, language=language, first_name=contact.first_name, count=len(matches)
        )
    ]
    for n, match in enumerate(matches, start=1):
        lines.append(
            reply_text(
                key="matches_item",
                language=language,
                n=n,
                **listing_placeholders(match.home, language=language),
            )
        )
    lines.append(reply_text(key="matches_outro", language=language))
    listings = [
        {
            "property": m.home.pk,
            "price": m.home.list_price,
            "score": m.score.total,
            "explanation": m.score.explanation(),
        }
        for m in matches
    ]
    return MatchesMessage(text="\n".join(lines), listings=listings)


def matches_message(contact: Contact) -> str | None:
    """The buyer's top three listings with links, in their language; None when none fits."""
    composed = compose_matches(contact)
    return composed.text if composed else None
