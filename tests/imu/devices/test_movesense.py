import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.decode import decode
from imu.devices import get_driver
from imu.devices import movesense as ms
from imu.errors import DecodeError

G32 = float(np.float32(9.80665))  # 1 g as float32 m/s²
# 02, ref 1, t = 1000 ms, then (1 g, -1 g, 0) and (0.5 g, 0, 16 g) in m/s² float32
GOLDEN = bytes.fromhex(
    "02 01 E8 03 00 00 0A E8 1C 41  0A E8 1C C1  00 00 00 00 0A E8 9C 40  00 00 00 00  0A E8 1C 43"
)


def test_golden_two_samples_with_ms_clock():
    df = decode("movesense", [GOLDEN], sample_rate_hz=208)
    f = G32 / 9.80665
    np.testing.assert_array_equal(
        df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[f, -f, 0.0], [f / 2, 0.0, 16 * f]]
    )
    assert (
        np.max(np.abs(df[["ax_g", "ay_g", "az_g"]].to_numpy() - [[1, -1, 0], [0.5, 0, 16]])) < 1e-6
    )
    np.testing.assert_array_equal(df["device_time_s"], [1.0, 1.0 + 1 / 208])


def test_clock_unwraps_uint32():
    a = ms.encode_data(1, 2**32 - 5, np.zeros((1, 3)))
    b = ms.encode_data(1, 15, np.zeros((2, 3)))
    df = decode("movesense", [a, b], sample_rate_hz=104)
    np.testing.assert_allclose(
        df["device_time_s"],
        [(2**32 - 5) / 1000, (2**32 + 15) / 1000, (2**32 + 15) / 1000 + 1 / 104],
    )


def test_results_are_not_samples():
    dec = ms.MovesenseDecoder(sample_rate_hz=208)
    assert len(dec.feed(bytes.fromhex("01 01 00 C8"))) == 0
    assert len(dec.feed(bytes.fromhex("01 01 01 FB"))) == 0
    assert len(dec.feed(bytes.fromhex("01 05") + b"Hello")) == 0
    assert [r[:2] for r in dec.results] == [(1, 200), (1, 507), (5, 0x4865)]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty notification"),
        (bytes.fromhex("03 01 00 00 00 00"), "message type 0x03"),
        (bytes.fromhex("02 01 E8 03"), "shorter than its 6-byte header"),
        (bytes.fromhex("02 01 E8 03 00 00"), "not a positive multiple of 12"),
        (GOLDEN[:-3], "data body of 21 bytes"),
    ],
)
def test_malformed(payload, reason):
    with pytest.raises(DecodeError, match=reason) as info:
        decode("movesense", [payload], sample_rate_hz=208)
    assert str(info.value).startswith("movesense: ")


def test_wrong_subscription_ref():
    with pytest.raises(DecodeError, match="subscription 1, expected 7"):
        decode("movesense", [GOLDEN], sample_rate_hz=208, ref=7)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(*[st.floats(-16, 16, width=32)] * 3), min_size=1, max_size=16),
    st.integers(0, 2**32 - 1),
)
def test_roundtrip(rows, stamp):
    acc_g = np.array(rows, dtype=np.float64)
    payload = ms.encode_data(3, stamp, acc_g * ms.STANDARD_GRAVITY)
    block = ms.MovesenseDecoder(sample_rate_hz=52).feed(payload)
    expect = (acc_g * ms.STANDARD_GRAVITY).astype(np.float32).astype(
        np.float64
    ) / ms.STANDARD_GRAVITY
    np.testing.assert_array_equal(block.acc_g, expect)
    assert block.device_time_s[0] == stamp / 1000


def test_commands_and_configuration():
    drv = get_driver("movesense")
    cfg = drv.configure(rate_hz=200)
    assert cfg.sample_rate_hz == 208.0 and cfg.range_g is None
    cmds = drv.start_commands(cfg)
    assert cmds[1].data == bytes.fromhex("01 01 2F 4D 65 61 73 2F 41 63 63 2F 32 30 38")
    assert cmds[1].data[2:].decode() == "/Meas/Acc/208"
    assert [c.data for c in drv.stop_commands(cfg)] == [bytes.fromhex("02 01")]
    assert drv.matches("Movesense 223430000123", [], {}) and not drv.matches("Polar H10", [], {})
    assert drv.configure(rate_hz=1000).sample_rate_hz == 833.0


def test_batch_equals_one_by_one_with_wrap_and_results():
    rng = np.random.default_rng(4)
    payloads = [ms.encode_result(1, 200)]
    stamp = 2**32 - 300
    for j in range(25):
        n = 4 if j != 9 else 2
        payloads.append(ms.encode_data(1, stamp, rng.normal(0, 20, (n, 3))))
        stamp = (stamp + 38) % 2**32
    batched = ms.MovesenseDecoder(sample_rate_hz=104).feed_many(payloads)
    single = ms.MovesenseDecoder(sample_rate_hz=104)
    for p, b in zip(payloads, batched, strict=True):
        r = single.feed(p)
        np.testing.assert_array_equal(b.acc_g, r.acc_g)
        np.testing.assert_array_equal(b.device_time_s, r.device_time_s)
    times = np.concatenate([b.device_time_s for b in batched])
    assert np.all(np.diff(times) > 0)
