"""The §4 signature: the contract's test vectors (§4.4) and the rendering rules around them."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest

from atp.adapters.cryptocom.signing import param_string, sign

KEY, SECRET, NONCE = "test-key", "test-secret", 1700000000000

# (method, id, params as JSON, parameter string P, sig) copied from spec §4.4.
VECTORS = [
    (
        "private/user-balance",
        1,
        "{}",
        "",
        "47a8e8fa2162571c896a9b83721062cd0c4cf8e01f1ac1f0b2cd5379453f5b5e",
    ),
    (
        "private/create-order",
        7,
        '{"instrument_name":"ETH_USD","side":"BUY","type":"LIMIT","price":"2500.10",'
        '"quantity":"0.0150","client_oid":"c-1","time_in_force":"GOOD_TILL_CANCEL",'
        '"exec_inst":["POST_ONLY"]}',
        "client_oidc-1exec_instPOST_ONLYinstrument_nameETH_USDprice2500.10quantity0.0150"
        "sideBUYtime_in_forceGOOD_TILL_CANCELtypeLIMIT",
        "39bbe483e304ff405a6ab50ed0226d3702fc08fc5d84f886313d608b2c50a70c",
    ),
    (
        "private/advanced/create-order",
        8,
        '{"instrument_name":"ETH_USD","side":"SELL","type":"STOP_LIMIT","quantity":"0.015",'
        '"price":"2400.00","ref_price":"2405.00","ref_price_type":"MARK_PRICE","client_oid":"c-2"}',
        "client_oidc-2instrument_nameETH_USDprice2400.00quantity0.015ref_price2405.00"
        "ref_price_typeMARK_PRICEsideSELLtypeSTOP_LIMIT",
        "e46935aa8cd8b29b838d86d2c770e429cccc0097e7a3920c1db8905faa22815c",
    ),
    (
        "private/advanced/create-oco",
        9,
        '{"order_list":[{"instrument_name":"ETH_USD","side":"SELL","type":"LIMIT",'
        '"price":"2700.00","quantity":"0.015","client_oid":"tp-1"},{"instrument_name":"ETH_USD",'
        '"side":"SELL","type":"STOP_LOSS","ref_price":"2400.00","ref_price_type":"MARK_PRICE",'
        '"quantity":"0.015","client_oid":"sl-1"}]}',
        "order_listclient_oidtp-1instrument_nameETH_USDprice2700.00quantity0.015sideSELL"
        "typeLIMITclient_oidsl-1instrument_nameETH_USDquantity0.015ref_price2400.00"
        "ref_price_typeMARK_PRICEsideSELLtypeSTOP_LOSS",
        "15cba110d3bf9e7d5186d84fd250f32894c69eb72589053e1c85d108d18308dd",
    ),
    (
        "private/get-order-history",
        10,
        '{"instrument_name":"ETH_USD","start_time":1699990000000,"end_time":1700000000000,'
        '"limit":100}',
        "end_time1700000000000instrument_nameETH_USDlimit100start_time1699990000000",
        "e917518a19886a81c529d6486f7e31683cb70c62fd9dcded0d5496b809cafcbe",
    ),
    (
        "private/create-order",
        11,
        '{"instrument_name":"ETH_USD","side":"SELL","type":"MARKET","quantity":"0.015",'
        '"reduce_only":true}',
        "instrument_nameETH_USDquantity0.015reduce_onlytruesideSELLtypeMARKET",
        "00615e5d1e6613ecce73153eb452cf1191a15aee319741d6df3e61e255dc5920",
    ),
]


@pytest.mark.parametrize(("method", "request_id", "params", "p_string", "sig"), VECTORS)
def test_spec_vectors(method: str, request_id: int, params: str, p_string: str, sig: str) -> None:
    decoded = json.loads(params)
    assert param_string(decoded) == p_string
    assert sign(method, request_id, KEY, decoded, NONCE, SECRET) == sig


def test_signature_is_plain_hmac_of_the_payload() -> None:
    payload = f"private/get-trades3{KEY}limit5{NONCE}"
    expected = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert sign("private/get-trades", 3, KEY, {"limit": 5}, NONCE, SECRET) == expected


def test_keys_sort_by_code_point() -> None:
    # "_" sorts after upper case and before lower case; a prefix sorts first.
    params = {"ref_price_type": "M", "ref_price": "1", "a": "x", "Z": "y", "_u": "z"}
    assert param_string(params) == "Zy_uzaxref_price1ref_price_typeM"


def test_booleans_null_and_integers_render_as_json_literals() -> None:
    params = {"b": False, "n": None, "i": 0, "t": True}
    assert param_string(params) == "bfalsei0nnullttrue"


def test_a_wrong_boolean_spelling_would_change_the_signature() -> None:
    right = sign("m", 1, KEY, {"x": True}, NONCE, SECRET)
    assert right != sign("m", 1, KEY, {"x": "True"}, NONCE, SECRET)
    assert right == sign("m", 1, KEY, {"x": "true"}, NONCE, SECRET)


def test_nested_objects_recurse_and_arrays_concatenate() -> None:
    params = {"outer": {"b": "2", "a": "1"}, "list": ["x", 3, {"k": "v"}]}
    assert param_string(params) == "listx3kvoutera1b2"


@pytest.mark.parametrize("bad", [1.5, Decimal("1.5"), b"bytes", {1, 2}])
def test_floats_decimals_and_other_types_are_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"params\.price"):
        sign("m", 1, KEY, {"price": bad}, NONCE, SECRET)


def test_arrays_inside_order_list_legs_are_refused() -> None:
    params = {"order_list": [{"side": "SELL", "exec_inst": ["POST_ONLY"]}]}
    with pytest.raises(ValueError, match=r"too deep"):
        sign("private/advanced/create-oco", 1, KEY, params, NONCE, SECRET)


@pytest.mark.parametrize(("request_id", "nonce"), [("1", NONCE), (1, float(NONCE)), (True, NONCE)])
def test_id_and_nonce_must_be_integers(request_id: Any, nonce: Any) -> None:
    with pytest.raises(TypeError):
        sign("m", request_id, KEY, {}, nonce, SECRET)
