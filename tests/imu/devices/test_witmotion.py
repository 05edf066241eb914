import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.decode import decode
from imu.devices import get_driver
from imu.devices import witmotion as wm
from imu.emulate.witmotion import encode_samples
from imu.errors import DecodeError

# Built by hand from the protocol sheet (§2.2): 55 61, acc x=0x0800, y=0xF800, z=0x1000,
# gyro x=0x4000, y=0x8000, z=0x0001, roll=0x4000 (90°), pitch=0xC000 (-90°), yaw=0.
FRAME_A = bytes.fromhex("55 61 00 08 00 F8 00 10 00 40 00 80 01 00 00 40 00 C0 00 00")
EXPECTED_A = ([1.0, -1.0, 2.0], [1000.0, -2000.0, 2000.0 / 32768.0])
# acc x=0x7FFF (just under +16 g), y=0x0001 (one LSB), z=0xFFFF (-1 LSB); gyro 0.
FRAME_B = bytes.fromhex("55 61 FF 7F 01 00 FF FF 00 00 00 00 00 00 00 00 00 00 00 00")
EXPECTED_B = ([32767 / 2048, 1 / 2048, -1 / 2048], [0.0, 0.0, 0.0])
# Register read-back of 0x03: rate code 0x0B (200 Hz) then 7 more registers.
READBACK = bytes.fromhex("55 71 03 00 0B 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")


def _check(df, expected):
    acc = df[["ax_g", "ay_g", "az_g"]].to_numpy()
    gyr = df[["gx_dps", "gy_dps", "gz_dps"]].to_numpy()
    np.testing.assert_array_equal(acc, [e[0] for e in expected])
    np.testing.assert_array_equal(gyr, [e[1] for e in expected])


def test_single_frame_golden():
    df = decode("witmotion", [FRAME_A])
    assert list(df.columns) == ["ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps"]
    _check(df, [EXPECTED_A])


def test_several_frames_in_one_notification():
    df = decode("witmotion", [FRAME_A + FRAME_B + FRAME_A + FRAME_B])
    _check(df, [EXPECTED_A, EXPECTED_B, EXPECTED_A, EXPECTED_B])


def test_frames_split_across_notifications():
    stream = FRAME_A + FRAME_B + READBACK + FRAME_A
    cuts = [3, 20, 21, 45, 60, 61, 79]
    parts = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    dec = wm.WitMotionDecoder()
    counts = [len(dec.feed(p)) for p in parts]
    assert sum(counts) == 3
    assert counts == [0, 1, 0, 1, 0, 0, 0, 1]
    assert dec.registers[0x03] == 0x0B
    assert dec.pending_bytes == 0


def test_register_frame_gives_no_sample():
    dec = wm.WitMotionDecoder()
    assert len(dec.feed(READBACK)) == 0
    assert dec.registers[0x03] == 0x0B
    assert all(dec.registers[r] == 0 for r in range(0x04, 0x0B))


def test_resync_on_garbage_lenient():
    dec = wm.WitMotionDecoder()
    block = dec.feed(b"\x01\x02\x55\x62\x07" + FRAME_A + b"\x99" + FRAME_B)
    np.testing.assert_array_equal(block.acc_g, [EXPECTED_A[0], EXPECTED_B[0]])
    assert dec.discarded_bytes == 6


def test_garbage_is_an_error_when_strict():
    with pytest.raises(DecodeError, match=r"witmotion: 2 byte.*not a 55 61.*01 02 55 62"):
        decode("witmotion", [b"\x01\x02\x55\x62" + FRAME_A])


def test_wrong_header_payload():
    bad = b"\x55\x62" + FRAME_A[2:]
    with pytest.raises(DecodeError) as info:
        decode("witmotion", [bad])
    assert info.value.driver == "witmotion"
    assert "55 62" in str(info.value)


def test_truncated_capture():
    with pytest.raises(DecodeError, match=r"capture ends inside a frame .13 of 20 bytes"):
        decode("witmotion", [FRAME_A, FRAME_B[:13]])


def test_empty_capture():
    df = decode("witmotion", [])
    assert len(df) == 0
    assert list(df.columns)[:3] == ["ax_g", "ay_g", "az_g"]


def test_driver_configuration_and_commands():
    drv = get_driver("witmotion")
    cfg = drv.configure(rate_hz=150)
    assert cfg.sample_rate_hz == 200.0
    assert cfg.range_g == 16.0
    assert drv.configure(rate_hz=90).sample_rate_hz == 100.0
    cmds = drv.start_commands(cfg)
    assert [c.data.hex(" ") for c in cmds] == [
        "ff aa 69 88 b5",
        "ff aa 03 0b 00",
        "ff aa 00 00 00",
        "ff aa 27 03 00",
    ]
    assert all(c.char_uuid == wm.WRITE_UUID for c in cmds)
    assert drv.start_commands(drv.configure(rate_hz=10))[1].data == bytes.fromhex("FF AA 03 06 00")
    assert drv.stop_commands(cfg) == []
    with pytest.raises(ValueError, match="rate_hz"):
        drv.configure(rate_hz=-5)


def test_discovery_filter():
    drv = get_driver("witmotion")
    assert drv.matches("WT901BLE68", [], {})
    assert not drv.matches("WTVB01-BT50", [], {})
    assert not drv.matches("Polar Sense 1234", [], {})
    assert not drv.matches(None, [], {})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.integers(-32768, 32767)] * 6),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.integers(1, 40), max_size=10),
)
def test_roundtrip_any_split(raw, cuts):
    raw = np.array(raw)
    stream = b"".join(wm.encode_data_frame(r[:3], r[3:], (0, 0, 0)) for r in raw)
    edges = sorted({min(c, len(stream)) for c in np.cumsum(cuts)} | {0, len(stream)})
    df = decode("witmotion", [stream[a:b] for a, b in itertools.pairwise(edges)])
    np.testing.assert_array_equal(df[["ax_g", "ay_g", "az_g"]].to_numpy() * 2048, raw[:, :3])
    np.testing.assert_array_equal(
        df[["gx_dps", "gy_dps", "gz_dps"]].to_numpy() * 32768 / 2000, raw[:, 3:]
    )


def test_encoder_quantises_and_clips():
    acc = np.array([[0.5, -20.0, 1.0 + 0.4 / 2048]])
    gyro = np.array([[1.0, 2500.0, -3000.0]])
    df = decode("witmotion", [encode_samples(acc, gyro)])
    np.testing.assert_array_equal(df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[0.5, -16.0, 1.0]])
    assert df["gy_dps"].iloc[0] == pytest.approx(32767 * 2000 / 32768)
    assert df["gz_dps"].iloc[0] == -2000.0
