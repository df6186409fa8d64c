"""The settings page's loss curve: whole even when the page polls less often than epochs end."""

from __future__ import annotations

from ml.forecast.models.base import FitHistory
from webapp.components.admin_views import curve_points
from workers.training_job import loss_history


def test_history_from_a_fit_lists_every_epoch_with_its_losses() -> None:
    history = FitHistory(loss=[0.9, 0.7, 0.6], val_loss=[1.0, 0.8, 0.75], epochs_run=3)
    assert loss_history(history) == [[1.0, 0.9, 1.0], [2.0, 0.7, 0.8], [3.0, 0.6, 0.75]]


def test_a_report_carrying_history_fills_epochs_the_page_missed() -> None:
    seen = curve_points([], {"epoch": 1, "loss": 0.9, "val_loss": 1.0})
    assert seen == [[1.0, 0.9, 1.0]]
    # Epochs 2 and 3 ended between two polls; the report carries them all.
    report = {"phase": "evaluating", "epoch": 3,
              "history": [[1.0, 0.9, 1.0], [2.0, 0.7, 0.8], [3.0, 0.6, 0.75]]}
    assert [p[0] for p in curve_points(seen, report)] == [1.0, 2.0, 3.0]


def test_without_history_new_epochs_are_appended_once() -> None:
    points = curve_points([[1.0, 0.9, 1.0]], {"epoch": 1, "loss": 0.9})
    assert points == [[1.0, 0.9, 1.0]]
    points = curve_points(points, {"epoch": 2, "loss": 0.8, "val_loss": 0.85})
    assert points[-1] == [2.0, 0.8, 0.85]
