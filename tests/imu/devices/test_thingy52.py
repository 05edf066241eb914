import numpy as np
import pytest

from imu.decode import decode
from imu.devices import get_driver
from imu.devices import thingy52 as th
from imu.errors import DecodeError, HopscopeWarning

# acc (1 g, -2 g, 0.5 g) Q6.10; gyro (100, -0.5, 0) °/s Q11.5; compass (1, 0, 0) µT Q12.4
GOLDEN = bytes.fromhex("00 04 00 F8 00 02  80 0C F0 FF 00 00  10 00 00 00 00 00")


def test_golden():
    df = decode("thingy52", [GOLDEN, GOLDEN])
    np.testing.assert_array_equal(df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[1.0, -2.0, 0.5]] * 2)
    np.testing.assert_array_equal(
        df[["gx_dps", "gy_dps", "gz_dps"]].to_numpy(), [[100.0, -0.5, 0.0]] * 2
    )


@pytest.mark.parametrize("size", [0, 6, 17, 19, 36])
def test_wrong_length(size):
    payload = (GOLDEN * 2)[:size]
    with pytest.raises(DecodeError, match=f"must be 18 bytes, got {size}"):
        decode("thingy52", [payload])


def test_configure_warns_about_2g():
    drv = get_driver("thingy52")
    with pytest.warns(HopscopeWarning, match="±2 g"):
        cfg = drv.configure(rate_hz=250, range_g=16)
    assert (cfg.sample_rate_hz, cfg.range_g) == (200.0, 2.0)
    assert drv.start_commands(cfg)[0].data == bytes.fromhex("E8 03 F4 01 F4 01 C8 00 01")
    assert drv.stop_commands(cfg) == []


def test_motion_config_patch_keeps_other_fields():
    base = bytes.fromhex("64 00 64 00 64 00 0A 00 00")
    assert th.motion_config(100, base) == bytes.fromhex("64 00 64 00 64 00 64 00 00")
    assert th.motion_config(10) == bytes.fromhex("E8 03 F4 01 F4 01 0A 00 01")


def test_discovery():
    drv = get_driver("thingy52")
    assert drv.matches("Thingy", ["EF680100-9B35-4933-9B10-52FFA9740042"], {})
    assert not drv.matches("Thingy", [], {})
