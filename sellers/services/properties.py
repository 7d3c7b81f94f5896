"""Properties: the one way a home is created or changed (the admin form and the CSV import staff
use to load listings and sales), its public slug, and the buyer alerts a new or re-priced
listing sends."""

import csv
import io
import uuid
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from compliance.models import AuditEvent
from compliance.services import audit
from config.queueing import publish
from sellers.models import Property

REQUIRED_COLUMNS = (
    "mls_id",
    "address",
    "city",
    "postal_code",
    "beds",
    "baths",
    "living_sqft",
    "status",
)
OPTIONAL_COLUMNS = (
    "state",
    "latitude",
    "longitude",
    "property_type",
    "lot_sqft",
    "year_built",
    "list_price",
    "sold_price",
    "sold_date",
    "features",
    "description",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
_MONEY_COLUMNS = ("list_price", "sold_price", "living_sqft", "lot_sqft")


@dataclass
class RowError:
    line: int  # the line in the file (the header is line 1)
    mls_id: str
    messages: list[str]

    def __str__(self) -> str:
        label = f" ({self.mls_id})" if self.mls_id else ""
        return f"Line {self.line}{label}: " + "; ".join(self.messages)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class PropertyRowForm(forms.ModelForm):
    """One CSV row, validated with the model's own fields and constraints."""

    class Meta:
        model = Property
        fields = list(COLUMNS)

    def clean(self):
        cleaned = super().clean()
        # Say which cell is missing rather than naming the database constraint.
        if cleaned.get("status") == Property.Status.SOLD:
            for name in ("sold_price", "sold_date"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, "Required when the status is sold.")
        return cleaned


def _clean_cell(column: str, value: str) -> str:
    value = (value or "").strip()
    if column in _MONEY_COLUMNS:
        value = value.replace("$", "").replace(",", "")
    if column == "property_type":
        by_label = {label.lower(): code for code, label in Property.Type.choices}
        value = by_label.get(value.lower(), value.lower())
    if column == "status":
        by_label = {label.lower(): code for code, label in Property.Status.choices}
        value = by_label.get(value.lower(), value.lower().replace(" ", "_"))
    if column == "state":
        value = value.upper()
    if not value:
        # An empty cell takes the model's default (state CA, single-family), if it has one.
        model_field = Property._meta.get_field(column)
        if model_field.has_default():
            value = str(model_field.get_default())
    return value


def _read(file) -> tuple[list[str], list[dict], list[RowError]]:
    raw = file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        return (
            [],
            [],
            [RowError(0, "", [f"The file is larger than {MAX_BYTES // 1024 // 1024} MB."])],
        )
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return [], [], [RowError(0, "", ["The file is not UTF-8 text (save it as CSV UTF-8)."])]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c and c not in COLUMNS]
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if unknown:
        problems.append("unknown columns: " + ", ".join(unknown))
    if problems:
        return header, [], [RowError(1, "", problems)]
    rows = list(reader)
    if len(rows) > MAX_ROWS:
        return header, [], [RowError(0, "", [f"At most {MAX_ROWS:,} rows per file."])]
    return header, rows, []


def import_properties_csv(*, file, by: AbstractBaseUser | str) -> ImportResult:
    """Create or update properties (by MLS number) from a CSV; any bad row imports nothing.

    Columns are listed in docs/cma.md; every row is validated like the admin form, and an
    MLS number repeated in the file is an error. Each property written is audited.
    """
    header, rows, errors = _read(file)
    result = ImportResult(errors=errors)
    if errors:
        return result
    if not rows:
        result.errors.append(RowError(1, "", ["The file has no rows."]))
        return result

    mls_ids = [(row.get("mls_id") or "").strip() for row in rows]
    existing = Property.objects.in_bulk([m for m in mls_ids if m], field_name="mls_id")
    seen: dict[str, int] = {}
    forms_to_save = []
    for line, row in enumerate(rows, start=2):
        mls_id = (row.get("mls_id") or "").strip()
        if None in row:
            result.errors.append(RowError(line, mls_id, ["more cells than columns"]))
            continue
        if mls_id in seen:
            result.errors.append(
                RowError(line, mls_id, [f"MLS number already on line {seen[mls_id]}"])
            )
            continue
        seen[mls_id] = line
        data = {column: _clean_cell(column, row.get(column) or "") for column in COLUMNS}
        instance = existing.get(mls_id)
        if instance is not None:
            # Columns left out of the file keep their stored values.
            for column in COLUMNS:
                if column not in header:
                    value = getattr(instance, column)
                    data[column] = "" if value is None else value
        form = PropertyRowForm(data=data, instance=instance)
        if not form.is_valid():
            messages = [
                f"{name}: {' '.join(errs)}" if name != "__all__" else " ".join(errs)
                for name, errs in form.errors.items()
            ]
            result.errors.append(RowError(line, mls_id, messages))
            continue
        forms_to_save.append((form, instance is None))
    if result.errors:
        return result

    batch = uuid.uuid4().hex[:12]
    actor = _actor(by)
    with transaction.atomic():
        for form, created in forms_to_save:
            _save(form, action="property.imported", data={"batch": batch}, **actor)
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result


def save_property(*, form: forms.ModelForm, by: AbstractBaseUser | str) -> Property:
    """Save a validated Property form (the admin's): slug, audit row and buyer alerts."""
    with transaction.atomic():
        return _save(form, action="property.saved", data={}, **_actor(by))


def _actor(by: AbstractBaseUser | str) -> dict:
    if isinstance(by, str):
        return {"actor": AuditEvent.Actor.SYSTEM, "actor_label": by}
    return {"user": by}


def _save(form: forms.ModelForm, *, action: str, data: dict, **actor) -> Property:
    """Save one home from its validated form, inside the caller's transaction.

    A new home gets its slug; a home that just came on the market, or whose asking price
    changed, has the buyers it fits alerted once the transaction commits.
    """
    created = form.instance._state.adding
    # The form's initial values are the row as it was read, before the form changed it.
    before = {} if created else form.initial
    changed = sorted(form.changed_data)
    home = form.save(commit=False)
    if created:
        home.slug = slug_for(address=home.address, city=home.city)
    home.save()
    event = listing_event(
        home=home,
        created=created,
        previous_status=before.get("status"),
        previous_price=before.get("list_price"),
    )
    audit(
        action=action,
        subject=home,
        data={"created": created, "changed": changed, "listing_event": event, **data},
        **actor,
    )
    if event:
        # robust: a broker outage must not undo the save; the alert is only lost, audited above.
        transaction.on_commit(lambda: _enqueue_listing_alerts(home.pk))
    return home


def listing_event(
    *, home: Property, created: bool, previous_status: str | None, previous_price: int | None
) -> str:
    """ "new" (just came on the market with a price), "repriced", or "" (buyers need not hear)."""
    if not home.is_public_listing:
        return ""
    if created or previous_status != Property.Status.ACTIVE or previous_price is None:
        return "new"
    if previous_price != home.list_price:
        return "repriced"
    return ""


def _enqueue_listing_alerts(property_id: int) -> None:
    from buyers.tasks import send_listing_alerts_task  # buyers reads sellers; not the reverse

    publish(send_listing_alerts_task, property_id)


def slug_for(*, address: str, city: str, taken: set[str] | None = None) -> str:
    """A slug for a new home's public page: its address and city, numbered when already used.

    ``taken``: slugs handed out but not saved yet (a batch being created).
    """
    base = slugify(f"{address} {city}")[:100].strip("-") or "home"
    used = set(Property.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    used |= taken or set()
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug
