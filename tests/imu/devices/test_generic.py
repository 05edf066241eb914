import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.decode import decode
from imu.devices import generic as gen
from imu.devices import get_driver
from imu.errors import DecodeError, HopscopeError

TOML = """
label = "ESP32 test board"
name_prefix = "HopIMU"
service_uuid = "4FAFC201-1FB5-459E-8FCC-C5C9C331914B"
data_char_uuid = "beb5483e-36e1-4688-b7f5-ea07361b26a8"
byte_order = "<"
header = "seq:H, t0_us:I"
sample = "hhh"
samples_per_notification = "auto"
scale = 2048
sample_rate_hz = 200
range_g = 16
counter_field = "seq"
time_field = "t0_us"
time_unit = "us"

[[start]]
char = "beb5483e-36e1-4688-b7f5-ea07361b26a8"
hex = "01 02"
with_response = false
"""

# seq 7, t0 = 1 000 000 us, samples (1, -1, 0.5) g and (16 g - 1 LSB, 0, -16) g
GOLDEN = bytes.fromhex("07 00 40 42 0F 00  00 08 00 F8 00 04  FF 7F 00 00 00 80")


def test_golden_with_counter_and_time(tmp_path):
    path = tmp_path / "board.toml"
    path.write_text(TOML, encoding="utf-8")
    df = decode("generic", [GOLDEN], description=str(path))
    np.testing.assert_array_equal(
        df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[1.0, -1.0, 0.5], [32767 / 2048, 0.0, -16.0]]
    )
    np.testing.assert_array_equal(df["device_time_s"], [1.0, 1.005])
    block = gen.GenericDecoder(gen.GenericDescription.load(TOML)).feed(GOLDEN)
    assert block.sequence == 7


def test_nano33_float_layout_with_axis_map_and_gyro():
    desc = {
        "service_uuid": "e905de3e-0000-44de-92c4-bb6e04fb0212",
        "data_char_uuid": "e905de3e-3001-44de-92c4-bb6e04fb0212",
        "sample": "ffffff",
        "samples_per_notification": 1,
        "sample_rate_hz": 119,
        "axis_map": ["-y", "x", "z"],
    }
    payload = struct.pack("<6f", 0.5, 2.0, -1.0, 10.0, 20.0, 30.0)
    df = decode("generic", [payload], description=desc)
    np.testing.assert_array_equal(df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[-2.0, 0.5, -1.0]])
    np.testing.assert_array_equal(
        df[["gx_dps", "gy_dps", "gz_dps"]].to_numpy(), [[-20.0, 10.0, 30.0]]
    )
    assert "device_time_s" not in df


def test_ms2_big_endian_per_field_scale():
    desc = {
        "service_uuid": "6e400001-b5a3-f393-e0a9-e50e24dcca9e",
        "data_char_uuid": "6e400003-b5a3-f393-e0a9-e50e24dcca9e",
        "byte_order": ">",
        "sample": "hhh",
        "scale": {"ax": 100, "ay": 100, "az": 10},
        "acc_unit": "m/s2",
        "sample_rate_hz": 100,
    }
    payload = bytes.fromhex("03 D4  FC 2C  00 62")  # 980 -> 9.8, -980, 98 /10 = 9.8 m/s²
    df = decode("generic", [payload], description=desc)
    np.testing.assert_allclose(
        df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[9.8 / 9.80665, -9.8 / 9.80665, 9.8 / 9.80665]]
    )


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (GOLDEN[:4], "shorter than the 6-byte header"),
        (GOLDEN[:6], "body of 0 bytes"),
        (GOLDEN[:-1], "body of 11 bytes is not a positive multiple of the 6-byte sample"),
    ],
)
def test_malformed(payload, reason):
    with pytest.raises(DecodeError, match=reason) as info:
        decode("generic", [payload], description=TOML)
    assert str(info.value).startswith("generic: ")


def test_fixed_count_mismatch():
    with pytest.raises(DecodeError, match="expected 18 bytes, got 12"):
        decode("generic", [GOLDEN[:12]], description=TOML.replace('"auto"', "2"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("sample_rate_hz = 200", ""), "`sample_rate_hz` is required"),
        (('sample = "hhh"', 'sample = "hhz"'), "`sample` must be struct codes"),
        (('header = "seq:H, t0_us:I"', 'header = "seq H"'), "`header` items must look like"),
        (('time_field = "t0_us"', 'time_field = "t1"'), "`time_field` must name a header field"),
        (('time_unit = "us"', 'time_unit = "fortnight"'), "`time_unit` must be one of"),
        (("scale = 2048", "scale = 0"), "`scale` must not be 0"),
        (('byte_order = "<"', 'byte_order = "@"'), "`byte_order` must be"),
        (
            ("sample_rate_hz = 200", "sample_rate_hz = 200\naxis_map = ['x', 'x', 'z']"),
            "`axis_map`",
        ),
        (('hex = "01 02"', 'hex = "zz"'), r"`start\[0\]` needs char, hex"),
        (("label =", "label"), "not valid TOML"),
    ],
)
def test_description_errors(change, message):
    with pytest.raises(HopscopeError, match=message):
        gen.GenericDescription.load(TOML.replace(*change))


def test_missing_file_names_it(tmp_path):
    with pytest.raises(HopscopeError, match=r"nope\.toml: cannot read"):
        get_driver("generic", description=str(tmp_path / "nope.toml"))
    with pytest.raises(HopscopeError, match="pass description="):
        get_driver("generic")


def test_driver_filter_and_commands():
    drv = get_driver("generic", description=TOML)
    assert drv.matches("HopIMU-7", [], {}) and not drv.matches("Other", [drv.service_uuid], {})
    assert drv.service_uuid == "4fafc201-1fb5-459e-8fcc-c5c9c331914b"
    cfg = drv.configure(rate_hz=100)
    assert cfg.sample_rate_hz == 200.0 and cfg.range_g == 16.0
    assert [(c.data, c.response) for c in drv.start_commands(cfg)] == [(b"\x01\x02", False)]
    assert drv.has_device_clock


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=1, max_size=40),
    st.integers(0, 65535),
    st.integers(0, 2**32 - 1),
)
def test_roundtrip(rows, seq, t0):
    desc = gen.GenericDescription.load(TOML)
    counts = np.array(rows)
    payload = gen.encode_notification(desc, counts / 2048.0, header={"seq": seq, "t0_us": t0})
    block = gen.GenericDecoder(desc).feed(payload)
    np.testing.assert_array_equal(block.acc_g * 2048, counts)
    assert block.sequence == seq and block.device_time_s[0] == pytest.approx(t0 * 1e-6)


def test_batch_equals_one_by_one_across_time_wrap():
    desc = gen.GenericDescription.load(TOML)
    rng = np.random.default_rng(2)
    payloads = []
    for j in range(30):
        n = 3 if j != 17 else 2  # one shorter notification splits the batch
        t0 = (2**32 - 40_000 + j * 15_000) % 2**32
        payloads.append(
            gen.encode_notification(
                desc, rng.normal(0, 2, (n, 3)), header={"seq": 65530 + j, "t0_us": t0}
            )
        )
    batched = gen.GenericDecoder(desc).feed_many(payloads)
    single = gen.GenericDecoder(desc)
    for p, b in zip(payloads, batched, strict=True):
        r = single.feed(p)
        np.testing.assert_array_equal(b.acc_g, r.acc_g)
        np.testing.assert_array_equal(b.device_time_s, r.device_time_s)
        assert b.sequence == r.sequence
    times = np.concatenate([b.device_time_s for b in batched])
    assert np.all(np.diff(times[::3][:10]) > 0)


def test_long_struct_code_uses_standard_size():
    desc = gen.GenericDescription.load(
        TOML.replace('sample = "hhh"', 'sample = "lll"').replace("scale = 2048", "scale = 1000")
    )
    payload = bytes.fromhex("01 00 00 00 00 00") + struct.pack("<3l", 1000, -2000, 16000)
    block = gen.GenericDecoder(desc).feed(payload)
    np.testing.assert_array_equal(block.acc_g, [[1.0, -2.0, 16.0]])
