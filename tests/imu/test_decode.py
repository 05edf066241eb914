import pytest

from imu import decode as imu_decode
from imu.decode import decode
from imu.errors import HopscopeError

FRAME = bytes.fromhex("55 61 00 08 00 F8 00 10 00 40 00 80 01 00 00 40 00 C0 00 00")


def test_exported_from_imu():
    assert imu_decode is decode


def test_unknown_device_lists_known_names():
    with pytest.raises(HopscopeError, match=r"unknown device 'fitbit'; known devices: .*witmotion"):
        decode("fitbit", [FRAME])


def test_unknown_setting():
    with pytest.raises(TypeError, match=r"witmotion: unknown decode setting.*factor"):
        decode("witmotion", [FRAME], factor=2.0)


def test_payload_must_be_bytes():
    with pytest.raises(TypeError, match="payload 1 must be bytes, got str"):
        decode("witmotion", [FRAME, "5561"])


def test_bad_rate_setting():
    with pytest.raises(ValueError, match="rate_hz"):
        decode("witmotion", [FRAME], sample_rate_hz=0)


def test_caller_settings_not_mutated():
    settings = {"sample_rate_hz": 200.0}
    decode("witmotion", [FRAME], **settings)
    assert settings == {"sample_rate_hz": 200.0}


def _capture(kind, **options):
    from imu.devices import get_driver
    from imu.emulate import make_emulator, synthetic_samples

    table = synthetic_samples(2.0, seed=3)
    p = make_emulator(kind, table, **options)
    drv = get_driver(kind, **({"description": p.desc} if kind == "generic" else {}))
    cfg = drv.configure() if kind != "thingy52" else drv.decode_config()
    for uuid in drv.notify_char_uuids:
        p.set_notify(uuid, True)
    for cmd in drv.start_commands(cfg):
        p.write(cmd.char_uuid, cmd.data, cmd.response)
    if kind == "thingy52":
        p.set_notify(drv.data_char_uuid, False)
        p.set_notify(drv.data_char_uuid, True)
    payloads = [x for _, u, x in p.poll(10.0) if u == drv.data_char_uuid]
    return drv, cfg, payloads


@pytest.mark.parametrize(
    ("kind", "settings"),
    [
        ("witmotion", {}),
        ("metawear", {"range_g": 16, "chip": "bmi160"}),
        ("movesense", {"sample_rate_hz": 208}),
        ("thingy52", {}),
        ("generic", {}),
    ],
)
def test_batched_decode_equals_payload_by_payload(kind, settings):
    import numpy as np

    from imu.decode import blocks_to_frame

    options = {"chip": "bmi160"} if kind == "metawear" else {}
    drv, cfg, payloads = _capture(kind, **options)
    assert len(payloads) > 10
    if kind == "generic":
        settings = {"description": drv.desc}
    one_by_one = blocks_to_frame([drv.decoder(cfg).feed(p) for p in payloads])
    batched = decode(kind, payloads, **settings)
    assert len(batched) > 100
    np.testing.assert_array_equal(batched.to_numpy(), one_by_one.to_numpy())
    assert list(batched.columns) == list(one_by_one.columns)
