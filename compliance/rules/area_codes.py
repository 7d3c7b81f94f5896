"""US (NANP) area codes mapped to a state and the IANA time zone most of their people live in."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import NamedTuple

# Source of this table: the NANPA area-code assignments for the 50 states, DC and the US
# territories (nanpa.com "Area Code Maps" / planning letters), written down from that public
# data and cross-checked against the geocoding and time-zone metadata of Google's
# libphonenumber (Apache-2.0). Overlays share the zone of the code they overlay.
#
# Where an area code straddles two time zones, it carries the zone of its main population,
# e.g. 850 (Pensacola, Fort Walton Beach, Panama City on Central; Tallahassee on Eastern)
# is Central, 812 (Bloomington, New Albany on Eastern; Evansville on Central) is Eastern,
# 208 is Mountain (Boise) though the panhandle is Pacific. The HighLevel contact time zone,
# when present, always wins over this inference (see quiet_hours.contact_timezone).
#
# A few codes are overlays NANPA has assigned but that may not be in service yet (for instance
# 357 for 559, 436 for 440, 837 for 530, 861 for 815/779, 924 for 507): listing them early
# costs nothing and keeps the first numbers issued in them in the right zone.
#
# Canadian and Caribbean NANP codes are deliberately absent: the business texts US leads,
# and an unknown code falls back to DEFAULT_TIMEZONE rather than a guess.


class AreaCode(NamedTuple):
    """Where an area code is: two-letter USPS state/territory code and IANA zone name."""

    state: str
    timezone: str


_TABLE: tuple[tuple[str, str, str], ...] = (
    ("AL", "America/Chicago", "205 251 256 334 659 938"),
    ("AK", "America/Anchorage", "907"),
    ("AZ", "America/Phoenix", "480 520 602 623 928"),
    ("AR", "America/Chicago", "327 479 501 870"),
    (
        "CA",
        "America/Los_Angeles",
        "209 213 279 310 323 341 350 357 369 408 415 424 442 510 530 559 562 619 626 628 "
        "650 657 661 669 707 714 738 747 760 805 818 820 831 837 840 858 909 916 925 949 951",
    ),
    ("CO", "America/Denver", "303 719 720 748 970 983"),
    ("CT", "America/New_York", "203 475 860 959"),
    ("DE", "America/New_York", "302"),
    ("DC", "America/New_York", "202 771"),
    (
        "FL",
        "America/New_York",
        "239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 786 813 863 904 941 954",
    ),
    ("FL", "America/Chicago", "448 850"),
    ("GA", "America/New_York", "229 404 470 478 678 706 762 770 912 943"),
    ("HI", "Pacific/Honolulu", "808"),
    ("ID", "America/Boise", "208 986"),
    (
        "IL",
        "America/Chicago",
        "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872",
    ),
    ("IN", "America/Indiana/Indianapolis", "260 317 463 574 765 812 930"),
    ("IN", "America/Chicago", "219"),
    ("IA", "America/Chicago", "319 515 563 641 712"),
    ("KS", "America/Chicago", "316 620 785 913"),
    ("KY", "America/Chicago", "270 364"),
    ("KY", "America/New_York", "502 606 859"),
    ("LA", "America/Chicago", "225 318 337 504 985"),
    ("ME", "America/New_York", "207"),
    ("MD", "America/New_York", "227 240 301 410 443 667"),
    ("MA", "America/New_York", "339 351 413 508 617 774 781 857 978"),
    ("MI", "America/Detroit", "231 248 269 313 517 586 616 679 734 810 906 947 989"),
    ("MN", "America/Chicago", "218 320 507 612 651 763 924 952"),
    ("MS", "America/Chicago", "228 601 662 769"),
    ("MO", "America/Chicago", "235 314 417 557 573 636 660 816 975"),
    ("MT", "America/Denver", "406"),
    ("NE", "America/Chicago", "308 402 531"),
    ("NV", "America/Los_Angeles", "702 725 775"),
    ("NH", "America/New_York", "603"),
    ("NJ", "America/New_York", "201 551 609 640 732 848 856 862 908 973"),
    ("NM", "America/Denver", "505 575"),
    (
        "NY",
        "America/New_York",
        "212 315 329 332 347 363 516 518 585 607 631 646 680 716 718 838 845 914 917 929 934",
    ),
    ("NC", "America/New_York", "252 336 472 704 743 828 910 919 980 984"),
    ("ND", "America/Chicago", "701"),
    (
        "OH",
        "America/New_York",
        "216 220 234 283 326 330 380 419 436 440 513 567 614 740 937",
    ),
    ("OK", "America/Chicago", "405 539 572 580 918"),
    ("OR", "America/Los_Angeles", "458 503 541 971"),
    (
        "PA",
        "America/New_York",
        "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878",
    ),
    ("RI", "America/New_York", "401"),
    ("SC", "America/New_York", "803 821 839 843 854 864"),
    ("SD", "America/Chicago", "605"),
    ("TN", "America/New_York", "423 865"),
    ("TN", "America/Chicago", "615 629 731 901 931"),
    (
        "TX",
        "America/Chicago",
        "210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 "
        "903 936 940 945 956 972 979",
    ),
    ("TX", "America/Denver", "915"),
    ("UT", "America/Denver", "385 435 801"),
    ("VT", "America/New_York", "802"),
    ("VA", "America/New_York", "276 434 540 571 686 703 757 804 826 948"),
    ("WA", "America/Los_Angeles", "206 253 360 425 509 564"),
    ("WV", "America/New_York", "304 681"),
    ("WI", "America/Chicago", "262 274 353 414 534 608 715 920"),
    ("WY", "America/Denver", "307"),
    # US territories: the TCPA applies there too.
    ("PR", "America/Puerto_Rico", "787 939"),
    ("VI", "America/St_Thomas", "340"),
    ("GU", "Pacific/Guam", "671"),
    ("MP", "Pacific/Saipan", "670"),
    ("AS", "Pacific/Pago_Pago", "684"),
)


def _build() -> dict[str, AreaCode]:
    table: dict[str, AreaCode] = {}
    for state, zone, codes in _TABLE:
        for code in codes.split():
            if code in table:
                raise ValueError(f"Area code {code} is listed twice.")
            table[code] = AreaCode(state=state, timezone=zone)
    return table


AREA_CODES: MappingProxyType[str, AreaCode] = MappingProxyType(_build())

_NON_DIGITS = re.compile(r"\D")


def area_code_of(phone: str) -> str | None:
    """The three-digit NANP area code of ``phone`` (E.164 or national format), else None."""
    digits = _NON_DIGITS.sub("", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    elif len(digits) != 10 or (phone or "").lstrip().startswith("+"):
        # A leading "+" with anything but country code 1 is a foreign number.
        return None
    # NANP area codes never start with 0 or 1.
    if digits[0] in "01":
        return None
    return digits[:3]


def lookup_area_code(phone: str) -> AreaCode | None:
    """The state and time zone of ``phone``'s US area code, or None when unknown or foreign."""
    code = area_code_of(phone)
    return AREA_CODES.get(code) if code else None
