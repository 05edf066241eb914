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
