from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from config.backoffice import EMPTY, BackOfficeAdmin, money, money_cell, readable_data
from config.errors import ApplicationError
from sellers.models import CMAReport, Property
from sellers.selectors import listing_public_url
from sellers.services.cma import trigger_cma
from sellers.services.properties import (
    COLUMNS,
    REQUIRED_COLUMNS,
    import_properties_csv,
    save_property,
)


class PropertyImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, with a header row.")


@admin.register(Property)
class PropertyAdmin(BackOfficeAdmin):
    list_display = ["address", "city", "status", "size", "price", "sold", "sold_date"]
    list_filter = ["status", "city", "property_type", "beds"]
    search_fields = ["address", "city", "postal_code", "mls_id"]
    date_hierarchy = "sold_date"
    change_list_template = "sellers/admin/property_change_list.html"
    readonly_fields = ["public_page"]

    @admin.display(description="Beds · baths · size")
    def size(self, home: Property) -> str:
        baths = f"{home.baths:g}" if home.baths is not None else "?"
        sqft = f"{home.living_sqft:,} sq ft" if home.living_sqft else "size unknown"
        return f"{home.beds} bd · {baths} ba · {sqft}"

    @admin.display(description="Asking", ordering="list_price")
    def price(self, home: Property) -> str:
        return money_cell(home.list_price)

    @admin.display(description="Sold for", ordering="sold_price")
    def sold(self, home: Property) -> str:
        return money_cell(home.sold_price)

    @admin.display(description="Public page")
    def public_page(self, home: Property) -> str:
        if home.pk is None:
            return "Given when the home is saved."
        url = listing_public_url(home)
        label = url if home.is_public_listing else f"{url} (says it is no longer available)"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label)

    def save_model(self, request, obj, form, change):
        # The service gives a new home its slug, audits, and alerts buyers of a new or
        # re-priced listing.
        save_property(form=form, by=request.user)

    def get_urls(self):
        custom = [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name="sellers_property_import_csv",
            )
        ]
        return custom + super().get_urls()

    def import_csv_view(self, request):
        """Upload a CSV of properties; every row is checked and nothing is half-imported."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = PropertyImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            result = import_properties_csv(file=form.cleaned_data["file"], by=request.user)
            if result.ok:
                self.message_user(
                    request,
                    f"Imported {result.created} new and {result.updated} updated properties.",
                    messages.SUCCESS,
                )
                return redirect("admin:sellers_property_changelist")
            self.message_user(
                request,
                f"Nothing was imported: {len(result.errors)} row(s) have errors.",
                messages.ERROR,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import properties from CSV",
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "required_columns": REQUIRED_COLUMNS,
            "optional_columns": [c for c in COLUMNS if c not in REQUIRED_COLUMNS],
            "statuses": Property.Status.choices,
            "types": Property.Type.choices,
        }
        return TemplateResponse(request, "sellers/admin/property_import.html", context)


@admin.action(description="Generate a new CMA for these reports' contacts (reused if unchanged)")
def generate_cma(modeladmin, request, queryset):
    """Admin action: trigger_cma for each contact of the selected rows (any model with ``contact``)."""
    started = 0
    for row in queryset.select_related("contact"):
        try:
            # A report or a qualification names the home; other rows use the qualification's.
            trigger_cma(
                contact=row.contact,
                by=request.user,
                address=getattr(row, "address", None) or None,
                city=getattr(row, "city", None) or None,
            )
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{row.contact}: {exc.message}", messages.WARNING)
        else:
            started += 1
    modeladmin.message_user(request, f"CMA requested for {started} contact(s).", messages.SUCCESS)


@admin.register(CMAReport)
class CMAReportAdmin(BackOfficeAdmin):
    list_display = [
        "address",
        "city",
        "contact",
        "status",
        "estimate",
        "confidence",
        "created_at",
        "download",
    ]
    list_filter = ["status", "confidence", "city"]
    search_fields = ["address", "city", "contact__first_name", "contact__last_name"]
    list_select_related = ["contact"]
    date_hierarchy = "created_at"
    actions = [generate_cma]
    fields = [
        "contact",
        "address",
        "city",
        "subject_property",
        "status",
        "estimate",
        "confidence",
        "method",
        "subject_readable",
        "comparables_table",
        "comparables_fingerprint",
        "download",
        "pdf_size",
        "error",
        "generated_at",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="Estimate")
    def estimate(self, report: CMAReport) -> str:
        if report.estimate_mid is None:
            return "—"
        return format_html(
            '<span class="money">{} – {} (mid {})</span>',
            money(report.estimate_low),
            money(report.estimate_high),
            money(report.estimate_mid),
        )

    @admin.display(description="The home")
    def subject_readable(self, report: CMAReport) -> str:
        return readable_data(report.subject)

    @admin.display(description="Comparable sales")
    def comparables_table(self, report: CMAReport) -> str:
        if not report.comparables:
            return EMPTY
        rows = format_html_join(
            "",
            "<tr><td>{}, {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row.get("address", ""),
                    row.get("city", ""),
                    row.get("sold_date", ""),
                    money(row.get("sold_price")),
                    f"{row.get('living_sqft', 0):,}",
                    money(row.get("adjusted_price")),
                    row.get("weight", ""),
                )
                for row in report.comparables
            ),
        )
        return format_html(
            '<table class="comparables"><thead><tr><th>Address</th><th>Sold</th>'
            "<th>Price</th><th>Sq ft</th><th>Adjusted</th><th>Weight</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="PDF size")
    def pdf_size(self, report: CMAReport) -> str:
        return f"{report.pdf_bytes / 1024:,.0f} KB" if report.pdf_bytes else EMPTY

    @admin.display(description="PDF")
    def download(self, report: CMAReport) -> str:
        if not report.pdf:
            return "—"
        return format_html(
            '<a href="{}">Download</a> · <a href="{}">View</a>',
            reverse("sellers:cma-download", args=[report.pk]),
            reverse("sellers:cma-detail", args=[report.pk]),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Seller qualification (appended by the seller-bot work) ------------------------------------
# Imported here so this appended block leaves the head of the file to its owner.
from sellers.models import SellerQualification  # noqa: E402
from sellers.services.qualification import advance_stage  # noqa: E402


@admin.action(description="Advance to the next stage")
def advance_seller_stage(modeladmin, request, queryset):
    """Admin action: advance_stage for each selected seller, in their latest conversation."""
    moved = 0
    for qualification in queryset.select_related("contact"):
        conversation = qualification.contact.conversations.order_by("-last_inbound_at").first()
        if conversation is None:
            modeladmin.message_user(
                request, f"{qualification.contact}: no conversation yet.", messages.WARNING
            )
            continue
        try:
            advance_stage(conversation=conversation, by=request.user)
        except ApplicationError as exc:
            modeladmin.message_user(
                request, f"{qualification.contact}: {exc.message}", messages.WARNING
            )
        else:
            moved += 1
    modeladmin.message_user(request, f"Advanced {moved} seller(s).", messages.SUCCESS)


@admin.register(SellerQualification)
class SellerQualificationAdmin(BackOfficeAdmin):
    list_display = [
        "contact",
        "stage",
        "temperature",
        "home",
        "expects",
        "strategy",
        "updated_at",
    ]
    list_filter = ["stage", "temperature", "strategy", "last_stall_kind", "motivation_kind"]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
        "contact__email",
        "address",
        "city",
    ]
    list_select_related = ["contact"]
    actions = [advance_seller_stage, generate_cma]

    @admin.display(description="Home", ordering="address")
    def home(self, qualification: SellerQualification) -> str:
        return ", ".join(part for part in (qualification.address, qualification.city) if part)

    @admin.display(description="Expects", ordering="price_expectation")
    def expects(self, qualification: SellerQualification) -> str:
        return money_cell(qualification.price_expectation)

    # Read-only: answers change through the bot and the services (which keep the cache right).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
