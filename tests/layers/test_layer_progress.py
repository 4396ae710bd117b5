"""Layers move with the ledger: at every threshold (one XP below, exactly at), in both modes,
``layer_up`` only when the layer changes, down again after a correction; all through the API."""

import pytest

from core.constants.layers import LADDERS
from core.services.xp import correct_entry
from layers.models import CyberLayerStatus, LayerChange, RealityLayerStatus
from xp.models import XPEntry

STATUS = {"reality": RealityLayerStatus, "cyber": CyberLayerStatus}
THRESHOLDS = [(mode, layer) for mode, ladder in LADDERS.items() for layer in ladder[1:]]


def add(client, activity, xp):
    response = client.post("/api/v1/xp/add/", {"activity": activity.key, "units": xp}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def stored_layer(user, mode):
    row = STATUS[mode].objects.filter(user_id=user.pk).first()
    return row.layer if row else 0


def test_thresholds_line_up_with_the_level_curve():
    assert [layer.min_xp for layer in LADDERS["reality"]] == [0, 1118, 5809, 16431, 35355]
    assert [layer.min_xp for layer in LADDERS["cyber"]] == [0, 1118, 5809, 16431, 35355]


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "layer"), THRESHOLDS, ids=[f"{m}-{layer.code}" for m, layer in THRESHOLDS])
def test_one_xp_below_the_threshold_stays_below_and_the_next_xp_moves_up(client_for, activities, mode, layer):
    client = client_for()
    ladder = LADDERS[mode]
    below = add(client, activities[mode], layer.min_xp - 1)
    previous = ladder[layer.order - 1]
    assert below["profile"]["layers"][mode]["code"] == previous.code
    assert below["profile"]["layers"][mode]["next_code"] == layer.code
    assert below["profile"]["layers"][mode]["xp_to_next"] == 1
    assert below["layer_up"] == (
        None if previous.order == 0 else {"mode": mode, "from": ladder[0].code, "to": previous.code}
    )
    assert stored_layer(client.user, mode) == previous.order

    at = add(client, activities[mode], 1)
    assert at["layer_up"] == {"mode": mode, "from": previous.code, "to": layer.code}
    assert at["profile"]["layers"][mode]["code"] == layer.code
    assert at["profile"]["layers"][mode]["order"] == layer.order
    assert stored_layer(client.user, mode) == layer.order
    change = LayerChange.objects.filter(user=client.user, mode=mode).first()  # newest first
    assert (change.from_layer, change.to_layer, change.reason) == (previous.order, layer.order, "xp")
    assert change.entry_id == at["entry"]["id"]

    again = add(client, activities[mode], 1)
    assert again["layer_up"] is None
    assert stored_layer(client.user, mode) == layer.order
    # The other mode did not move.
    other = "cyber" if mode == "reality" else "reality"
    assert at["profile"]["layers"][other]["code"] == LADDERS[other][0].code
    assert stored_layer(client.user, other) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "layer"), THRESHOLDS, ids=[f"{m}-{layer.code}" for m, layer in THRESHOLDS])
def test_exactly_the_threshold_in_one_entry_jumps_straight_there(client_for, activities, mode, layer):
    client = client_for()
    body = add(client, activities[mode], layer.min_xp)
    assert body["layer_up"] == {"mode": mode, "from": LADDERS[mode][0].code, "to": layer.code}
    assert stored_layer(client.user, mode) == layer.order
    assert LayerChange.objects.filter(user=client.user, mode=mode).count() == 1
    profile = client.get("/api/v1/user/profile/").json()
    upcoming = LADDERS[mode][layer.order + 1] if layer.order + 1 < len(LADDERS[mode]) else None
    assert profile["layers"][mode] == {
        "code": layer.code,
        "name": layer.name,
        "order": layer.order,
        "next_code": upcoming.code if upcoming else None,
        "xp_to_next": upcoming.min_xp - layer.min_xp if upcoming else None,
    }


@pytest.mark.django_db
def test_small_adds_below_the_first_threshold_never_say_layer_up(client_for, activities):
    client = client_for()
    for _ in range(3):
        assert add(client, activities["reality"], 100)["layer_up"] is None
    assert not LayerChange.objects.filter(user=client.user).exists()
    assert stored_layer(client.user, "reality") == 0


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["reality", "cyber"])
def test_a_correction_that_crosses_a_threshold_lowers_the_layer_and_records_it(
    client_for, activities, admin_user, mode
):
    client = client_for()
    rl2 = LADDERS[mode][2]
    add(client, activities[mode], rl2.min_xp - 10)
    top = add(client, activities[mode], 10)
    assert top["layer_up"]["to"] == rl2.code

    correction = correct_entry(
        entry=XPEntry.objects.get(pk=top["entry"]["id"]), reason="duplicate log", corrected_by=admin_user
    )

    assert stored_layer(client.user, mode) == 1
    change = LayerChange.objects.filter(user=client.user, mode=mode).first()
    assert (change.from_layer, change.to_layer, change.reason, change.entry_id) == (
        2,
        1,
        "correction",
        correction.entry.pk,
    )
    profile = client.get("/api/v1/user/profile/").json()
    assert profile["layers"][mode]["code"] == LADDERS[mode][1].code
    assert profile["layers"][mode]["xp_to_next"] == 10


@pytest.mark.django_db
def test_a_correction_that_stays_within_the_layer_records_no_change(client_for, activities, admin_user):
    client = client_for()
    add(client, activities["cyber"], 2000)
    small = add(client, activities["cyber"], 50)
    before = LayerChange.objects.filter(user=client.user).count()
    correct_entry(entry=XPEntry.objects.get(pk=small["entry"]["id"]), reason="typo", corrected_by=admin_user)
    assert LayerChange.objects.filter(user=client.user).count() == before
    assert stored_layer(client.user, "cyber") == 1


@pytest.mark.django_db
def test_a_correction_back_to_zero_lowers_to_layer_0(client_for, activities, admin_user):
    client = client_for()
    body = add(client, activities["reality"], 1118)
    correct_entry(entry=XPEntry.objects.get(pk=body["entry"]["id"]), reason="fake run", corrected_by=admin_user)
    assert stored_layer(client.user, "reality") == 0
    assert client.get("/api/v1/user/profile/").json()["layers"]["reality"]["code"] == "RL0"


@pytest.mark.django_db
def test_layer_list_is_public_and_lists_both_ladders_in_order(api_client):
    response = api_client.get("/api/v1/layers/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10 and body["next"] is None and body["previous"] is None
    codes = [row["code"] for row in body["results"]]
    assert codes == ["RL0", "RL1", "RL2", "RL3", "RLX", "CL0", "CL1", "CL2", "CL3", "CLX"]
    assert body["results"][2] == {
        "code": "RL2",
        "name": "Flow",
        "mode": "reality",
        "order": 2,
        "min_xp": 5809,
        "description": LADDERS["reality"][2].description,
    }
