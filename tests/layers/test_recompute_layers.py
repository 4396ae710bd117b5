"""`manage.py recompute_layers` rebuilds the layer statuses from the ledger and says what differed."""

from io import StringIO

import pytest
from django.core.management import call_command

from core.services.layers.layer_service import recompute_layers
from layers.models import CyberLayerStatus, LayerChange, RealityLayerStatus
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("recompute_layers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_consistent_database_is_reported_as_such_and_left_alone(give_xp):
    give_xp(PlayerFactory(), "reality", 6000)
    give_xp(PlayerFactory(), "cyber", 20000)
    changes = LayerChange.objects.count()
    out, err = run()
    assert "All layer statuses match the ledger." in out
    assert "players" in err  # the progress bar
    assert LayerChange.objects.count() == changes


def test_corrupted_statuses_are_rebuilt_recorded_and_reported(give_xp):
    raised = PlayerFactory(username="raised")
    give_xp(raised, "reality", 6000)  # RL2
    RealityLayerStatus.objects.filter(user=raised).update(layer=4)
    lost = PlayerFactory(username="lost")
    give_xp(lost, "cyber", 2000)  # CL1
    CyberLayerStatus.objects.filter(user=lost).delete()
    ghost = PlayerFactory(username="ghost")  # no XP at all, yet a status row says CL3
    CyberLayerStatus.objects.create(
        user=ghost, layer=3, reached_at=RealityLayerStatus.objects.get(user=raised).reached_at
    )
    fine = PlayerFactory(username="fine")
    give_xp(fine, "reality", 1200)

    out, _ = run("--no-progress")

    assert f"raised (id {raised.pk}) reality: RLX -> RL2 (6000 XP in the ledger)" in out
    assert f"lost (id {lost.pk}) cyber: CL0 -> CL1 (2000 XP in the ledger)" in out
    assert f"ghost (id {ghost.pk}) cyber: CL3 -> CL0 (0 XP in the ledger)" in out
    assert "fine" not in out
    assert "3 layer status(es) changed." in out
    assert RealityLayerStatus.objects.get(user=raised).layer == 2
    assert CyberLayerStatus.objects.get(user=lost).layer == 1
    assert CyberLayerStatus.objects.get(user=ghost).layer == 0
    recorded = LayerChange.objects.filter(reason="recompute")
    assert sorted(recorded.values_list("user__username", "mode", "from_layer", "to_layer")) == [
        ("ghost", "cyber", 3, 0),
        ("lost", "cyber", 0, 1),
        ("raised", "reality", 4, 2),
    ]
    assert all(change.entry_id is None for change in recorded)
    # A second run finds nothing left to do.
    assert "All layer statuses match the ledger." in run("--no-progress")[0]


def test_dry_run_reports_but_changes_nothing(give_xp):
    player = PlayerFactory(username="dry")
    give_xp(player, "reality", 6000)
    RealityLayerStatus.objects.filter(user=player).update(layer=1)
    changes = LayerChange.objects.count()

    out, _ = run("--dry-run", "--no-progress")

    assert f"dry (id {player.pk}) reality: RL1 -> RL2" in out
    assert "1 layer status(es) would change (dry run)." in out
    assert RealityLayerStatus.objects.get(user=player).layer == 1
    assert LayerChange.objects.count() == changes


def test_recompute_uses_the_ledger_including_corrections(give_xp, admin_user):
    from core.services.xp import correct_entry

    player = PlayerFactory()
    give_xp(player, "cyber", 1000)
    big = give_xp(player, "cyber", 5000)  # CL2 at 6000
    correct_entry(entry=big.entry, reason="bot glitch", corrected_by=admin_user)
    assert CyberLayerStatus.objects.get(user=player).layer == 0
    assert recompute_layers() == []
