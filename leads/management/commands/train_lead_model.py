from django.core.management.base import BaseCommand, CommandError

from leads.services.lead_score import LeadModelError, rescore_contacts, train_lead_model


class Command(BaseCommand):
    help = (
        "Learn the lead score from the business's own outcomes (deals won vs lost or gone "
        "cold); print the cross-validated AUC of the model and of today's rule score on the "
        "same folds, and the calibration table; store the model as the next version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--folds", type=int, default=5, help="Stratified folds (default 5).")
        parser.add_argument(
            "--no-activate",
            action="store_true",
            help="Store the model without making it the one that scores.",
        )
        parser.add_argument(
            "--rescore",
            action="store_true",
            help="Then store the new model's score on every contact.",
        )

    def handle(self, *args, folds=5, no_activate=False, rescore=False, **options):
        if folds < 2:
            raise CommandError("--folds must be 2 or more.")
        try:
            report = train_lead_model(folds=folds, activate=not no_activate)
        except LeadModelError as exc:
            raise CommandError(exc.message) from exc
        model, metrics = report.model, report.model.metrics
        write = self.stdout.write
        write(
            f"Training set: {metrics['rows']} leads with an outcome: {report.outcomes['won']} "
            f"won, {report.outcomes['lost']} lost, {report.outcomes['cold']} went cold "
            f"(left out: {report.left_out} whose qualification changed after the outcome)."
        )
        write(f"Model: {model.algorithm}; {metrics['folds']}-fold stratified cross-validation.")
        write(
            f"AUC learned model: {metrics['auc_model']:.3f} ± {metrics['auc_model_std']:.3f}  "
            f"(folds: {', '.join(f'{a:.3f}' for a in metrics['auc_model_by_fold'])})"
        )
        write(
            f"AUC rule score:    {metrics['auc_rules']:.3f} ± {metrics['auc_rules_std']:.3f}  "
            f"(folds: {', '.join(f'{a:.3f}' for a in metrics['auc_rules_by_fold'])})"
        )
        gain = metrics["auc_model"] - metrics["auc_rules"]
        write(f"Gain over the rules: {gain:+.3f} AUC on the same folds.")
        write("Calibration (out-of-fold predictions by decile):")
        write(f"  {'decile':>6} {'leads':>6} {'predicted':>10} {'observed':>9}")
        for row in model.calibration:
            write(
                f"  {row['decile']:>6} {row['n']:>6} {row['predicted']:>10.3f} "
                f"{row['observed']:>9.3f}"
            )
        state = "active" if model.active else "stored, not active"
        write(self.style.SUCCESS(f"Stored lead-score model v{model.version} ({state})."))
        if rescore and model.active:
            write(f"Scored {rescore_contacts()} contacts with v{model.version}.")
