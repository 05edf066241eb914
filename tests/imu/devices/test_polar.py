import asyncio
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.decode import decode
from imu.devices import get_driver
from imu.devices import polar as pmd
from imu.errors import DecodeError, HopscopeError

TS = 847_584_000_123_456_789  # ns since 2000-01-01 (2026-11-10)


def header(ts=TS, ftype=0x80, meas=0x02):
    return bytes([meas]) + ts.to_bytes(8, "little") + bytes([ftype])


def pack_block(deltas, bits):
    """Independent reference packer: one little-endian integer, fields upward from bit 0."""
    acc = 0
    for m, d in enumerate(deltas):
        acc |= (d & ((1 << bits) - 1)) << (m * bits)
    size = -(-bits * len(deltas) // 8)
    return bytes([bits, len(deltas) // 3]) + acc.to_bytes(size, "little")


# -- the worked example of the protocol sheet -------------------------------------------------
def test_worked_10_bit_example():
    content = bytes(6) + bytes([10, 1]) + bytes.fromhex("BE 5C BE BA")
    np.testing.assert_array_equal(pmd.delta_decode(content), [[0, 0, 0], [190, -105, -85]])
    df = decode("polar", [header(ftype=0x81) + content], sample_rate_hz=52)
    np.testing.assert_array_equal(
        df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[0, 0, 0], [0.190, -0.105, -0.085]]
    )


@pytest.mark.parametrize("bits", [*range(1, 17), 17, 20, 24, 31, 32])
def test_delta_every_bit_width(bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    pattern = [lo, hi, -1, 0, hi, lo, 0, -1, hi] if bits > 1 else [-1, 0, -1, 0, 0, -1, -1, -1, 0]
    ref = [1000, -2000, 32767]
    content = struct.pack("<3h", *ref) + pack_block(pattern, bits)
    expected = np.cumsum(np.vstack([ref, np.reshape(pattern, (3, 3))]), axis=0)
    np.testing.assert_array_equal(pmd.delta_decode(content), expected)


def test_delta_bits_one_is_minus_one():
    # bits 1: the fields 1,1,1 and 0,1,0 are -1 (correct two's complement, not +1)
    content = bytes(6) + bytes([1, 2]) + bytes([0b010111])
    np.testing.assert_array_equal(
        pmd.delta_decode(content), [[0, 0, 0], [-1, -1, -1], [-1, -2, -1]]
    )


def test_delta_bits_zero_repeats_previous_sample():
    content = struct.pack("<3h", 5, -6, 7) + bytes([0, 4]) + bytes([4, 1]) + bytes([0x21, 0x0F])
    out = pmd.delta_decode(content)
    np.testing.assert_array_equal(out[:5], [[5, -6, 7]] * 5)
    np.testing.assert_array_equal(out[5], [6, -4, 6])


def test_blocks_chain_and_pad_bits_ignored():
    # 3-bit block of 1 sample (9 bits -> 2 bytes, 7 pad bits set), then an 8-bit block
    first = pack_block([1, -1, 3], 3)
    first = first[:2] + bytes([first[2], first[3] | 0xFE])
    content = struct.pack("<3h", 0, 0, 0) + first + pack_block([-128, 127, 0], 8)
    np.testing.assert_array_equal(
        pmd.delta_decode(content), [[0, 0, 0], [1, -1, 3], [-127, 126, 3]]
    )


def test_reference_sign_extension_other_resolution():
    # 12-bit reference in 2 bytes: 0x0FFF is -1, 0x0800 is -2048, upper bits ignored
    content = bytes.fromhex("FF 0F 00 F8 FF 07")
    np.testing.assert_array_equal(pmd.delta_decode(content, resolution=12), [[-1, -2048, 2047]])


def test_count_zero_block_is_skipped():
    content = bytes(6) + bytes([8, 0]) + pack_block([1, 2, 3], 8)
    np.testing.assert_array_equal(pmd.delta_decode(content), [[0, 0, 0], [1, 2, 3]])


# -- raw frames -------------------------------------------------------------------------------
def test_raw16_frame_h10():
    frame = header(ftype=0x01) + bytes.fromhex("E8 03 18 FC 00 00  01 00 FF FF 40 1F")
    df = decode("polar", [frame], variant="h10", sample_rate_hz=200)
    np.testing.assert_array_equal(
        df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[1.0, -1.0, 0.0], [0.001, -0.001, 8.0]]
    )
    assert df["device_time_s"].iloc[-1] == TS / 1e9


def test_raw24_frame():
    frame = header(ftype=0x02) + bytes.fromhex("E8 03 00  FF FF FF  60 79 FE")
    df = decode("polar", [frame], variant="h10", sample_rate_hz=200)
    np.testing.assert_array_equal(df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[1.0, -0.001, -100.0]])


def test_raw8_frame_units_per_variant():
    frame = header(ftype=0x00) + bytes([1, 0xFF, 16])
    verity = decode("polar", [frame], variant="verity", sample_rate_hz=52)
    np.testing.assert_array_equal(verity[["ax_g", "ay_g", "az_g"]].to_numpy(), [[1, -1, 16]])
    h10 = decode("polar", [frame], variant="h10", sample_rate_hz=50)
    np.testing.assert_array_equal(
        h10[["ax_g", "ay_g", "az_g"]].to_numpy(), [[0.001, -0.001, 0.016]]
    )


def test_factor_scales_0x80_and_0x81():
    content = struct.pack("<3h", 2048, -2048, 4096)
    g = decode("polar", [header(ftype=0x80) + content], factor=1 / 2048, sample_rate_hz=416)
    np.testing.assert_array_equal(g[["ax_g", "ay_g", "az_g"]].to_numpy(), [[1.0, -1.0, 2.0]])
    mg = decode("polar", [header(ftype=0x81) + content], sample_rate_hz=416)
    np.testing.assert_array_equal(mg[["ax_g", "ay_g", "az_g"]].to_numpy(), [[2.048, -2.048, 4.096]])
    mgf = decode("polar", [header(ftype=0x81) + content], factor=0.5, sample_rate_hz=416)
    np.testing.assert_array_equal(mgf[["ax_g"]].to_numpy(), [[1.024]])
    one = decode("polar", [header(ftype=0x81) + content], factor=1.0, sample_rate_hz=416)
    np.testing.assert_array_equal(one[["ax_g"]].to_numpy(), [[2.048]])


def test_sdk_integer_mg_parity_within_one_lsb():
    # The SDK outputs int(v * (FACTOR*1000)) in float32 for 0x80; our float g agree within 1 mG.
    factor = np.float32(16 / 32768)
    counts = np.arange(-32768, 32768, 37)
    content = pmd.delta_encode(np.column_stack([counts, counts, counts]))
    df = decode("polar", [header(ftype=0x80) + content], factor=float(factor), sample_rate_hz=416)
    sdk_mg = (counts.astype(np.float32) * np.float32(factor * np.float32(1000))).astype(np.int32)
    assert np.max(np.abs(df["ax_g"].to_numpy() * 1000 - sdk_mg)) < 1.0


# -- malformed frames -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (header()[:7], "shorter than the 10-byte header"),
        (header(meas=0x01) + bytes(6), "measurement type 1 is not ACC"),
        (header(ftype=0x05) + bytes(6), "unknown ACC frame type 0x05"),
        (header(ftype=0x83) + bytes(6), "unknown delta frame type 0x83"),
        (header(ftype=0x80) + bytes(5), "shorter than its 6-byte reference"),
        (header(ftype=0x80) + bytes(6) + bytes([8]), "block header cut"),
        (header(ftype=0x80) + bytes(6) + bytes([8, 2, 1, 2, 3]), "needs 6 bytes, only 3 remain"),
        (header(ftype=0x80) + bytes(6) + bytes([40, 1]) + bytes(15), "exceeds 32"),
        (header(ftype=0x01) + bytes(7), "not a positive multiple of 6"),
        (header(ftype=0x01), "not a positive multiple of 6"),
    ],
)
def test_malformed(payload, reason):
    with pytest.raises(DecodeError) as info:
        decode("polar", [payload], sample_rate_hz=416)
    msg = str(info.value)
    assert msg.startswith("polar: ") and reason in msg
    assert payload[:4].hex(" ") in msg


# -- timestamps -------------------------------------------------------------------------------
def sdk_rule(ts, n, prev, rate):
    """The rule of the protocol sheet, literally, in pure Python."""
    out = []
    if prev is not None:
        delta = (ts - prev) / n
        for i in range(n - 1):
            out.append(round((float(prev) + delta) + delta * i))
    else:
        delta = 1e9 / rate
        for i in range(n - 1):
            out.append(round((float(ts) - delta * (n - 1)) + delta * i))
    return [*out, ts]


def test_timestamp_rule_small_numbers_half_to_even():
    np.testing.assert_array_equal(
        pmd.sample_timestamps_ns(15, 2, previous_ns=10, sample_rate_hz=1.0), [12, 15]
    )
    np.testing.assert_array_equal(
        pmd.sample_timestamps_ns(17, 2, previous_ns=10, sample_rate_hz=1.0), [14, 17]
    )
    # first frame: 4 samples at 0.4 GHz spacing 2.5 ns ending at 100
    np.testing.assert_array_equal(
        pmd.sample_timestamps_ns(100, 4, previous_ns=None, sample_rate_hz=4e8), [92, 95, 98, 100]
    )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(6 * 10**17, 9 * 10**17),
    st.integers(1, 120),
    st.one_of(st.none(), st.integers(1_000_000, 2_000_000_000)),
    st.sampled_from([25.0, 26.0, 52.0, 200.0, 208.0, 416.0]),
)
def test_timestamp_rule_to_the_nanosecond(ts, n, gap, rate):
    prev = None if gap is None else ts - gap
    got = pmd.sample_timestamps_ns(ts, n, previous_ns=prev, sample_rate_hz=rate)
    assert got.tolist() == sdk_rule(ts, n, prev, rate)
    assert got[-1] == ts


def test_decoder_uses_previous_frame_per_frame_type():
    dec = get_driver("polar").decoder(get_driver("polar").decode_config(sample_rate_hz=416))
    step = 1e9 / 416
    f1 = header(TS, 0x80) + pmd.delta_encode(np.zeros((36, 3), int))
    f2 = header(TS + round(36 * step), 0x80) + pmd.delta_encode(np.zeros((36, 3), int))
    f3 = header(TS + 5 * 10**9, 0x81) + pmd.delta_encode(np.zeros((10, 3), int))
    b1, b2, b3 = dec.feed(f1), dec.feed(f2), dec.feed(f3)
    assert b1.device_time_ns.tolist() == sdk_rule(TS, 36, None, 416)
    assert b2.device_time_ns.tolist() == sdk_rule(TS + round(36 * step), 36, TS, 416)
    assert b3.device_time_ns.tolist() == sdk_rule(TS + 5 * 10**9, 10, None, 416)
    np.testing.assert_array_equal(b2.device_time_s, b2.device_time_ns / 1e9)
    dec.reset()
    assert dec.feed(f2).device_time_ns.tolist() == sdk_rule(TS + round(36 * step), 36, None, 416)


def test_present_day_times_are_quantised_to_128_ns():
    t = pmd.sample_timestamps_ns(TS, 71, previous_ns=TS - 170_000_000, sample_rate_hz=416)
    assert all(v % 128 == 0 for v in t[:-1])


# -- round trips ------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=1, max_size=80),
    st.integers(1, 40),
)
def test_delta_roundtrip(rows, block):
    arr = np.array(rows)
    assert pmd.delta_decode(pmd.delta_encode(arr, block_samples=block)).tolist() == arr.tolist()


def test_encoder_chooses_width_per_block():
    arr = np.zeros((25, 3), int)
    arr[13:, 0] = 1000  # a jump in the second block only
    content = pmd.delta_encode(arr, block_samples=12)
    assert content[6] == 1 and content[7] == 12  # block 1: zero deltas -> 1 bit
    second = 6 + 2 + 36 // 8 + 1
    assert content[second] == 11 and content[second + 1] == 12
    with pytest.raises(ValueError, match="needs 11 delta bits"):
        pmd.delta_encode(arr, block_samples=12, delta_bits=8)


# -- control point ----------------------------------------------------------------------------
def test_settings_tlv_roundtrip_and_start_commands():
    drv = get_driver("polar", variant="h10")
    cmds = drv.start_commands(drv.configure(rate_hz=200, range_g=16))
    assert [c.data.hex(" ") for c in cmds] == ["02 02 00 01 c8 00 01 01 10 00 02 01 08 00"]
    verity = get_driver("polar", variant="verity")
    cmds = verity.start_commands(verity.configure(rate_hz=400, range_g=16))
    assert [c.data.hex(" ") for c in cmds] == [
        "02 09",
        "02 02 00 01 a0 01 01 01 10 00 02 01 10 00 04 01 03",
    ]
    assert all(c.response and c.char_uuid == pmd.CP_UUID for c in cmds)
    assert [c.data.hex(" ") for c in verity.stop_commands(verity.configure())] == ["03 02", "03 09"]
    parsed = pmd.parse_settings(bytes.fromhex("00 02 1A 00 A0 01 02 01 10 00 05 01 00 00 80 3A"))
    assert parsed == {0: [26, 416], 2: [16], 5: [2**-10]}


def test_cp_responses_factor_h10_byte_and_continuation():
    asm = pmd.ControlPointAssembler()
    r = asm.feed(bytes.fromhex("F0 02 02 00 00 05 01 00 00 80 39"))
    assert r.ok and r.factor() == 2**-12
    h10 = asm.feed(bytes.fromhex("F0 02 02 00 00 00"))
    assert h10.ok and h10.factor() is None
    assert asm.feed(bytes.fromhex("F0 01 02 00 01 00 02 1A 00")) is None
    full = asm.feed(bytes.fromhex("F0 01 02 00 00 A0 01"))
    assert full.settings() == {0: [26, 416]}
    err = asm.feed(bytes.fromhex("F0 02 02 08 00"))
    assert not err.ok and err.status_name == "INVALID_SAMPLE_RATE"
    assert asm.feed(bytes.fromhex("01 02")) is None and asm.stopped_types == {2}
    assert asm.feed(b"\x01") is None
    with pytest.raises(ValueError, match="shorter than 5"):
        asm.feed(bytes.fromhex("F0 02"))


def test_features_and_discovery():
    assert pmd.parse_features(bytes((0x0F, 0x6E, 0x02))) >= {"acc", "gyro", "sdk_mode"}
    with pytest.raises(ValueError, match="must start with 0F"):
        pmd.parse_features(b"\x01\x02")
    anyp = get_driver("polar")
    assert anyp.matches("Polar H10 1234ABCD", [], {}) and anyp.matches("Polar Sense 1", [], {})
    assert not anyp.matches("WT901", [], {})
    assert not get_driver("polar", variant="h10").matches("Polar Sense 1", [], {})
    with pytest.raises(HopscopeError, match="unknown Polar variant"):
        get_driver("polar", variant="m430")


def test_configure_nearest_per_variant():
    assert get_driver("polar", variant="h10").configure(400, 16).range_g == 8.0
    cfg = get_driver("polar").configure(200, 12)
    assert (cfg.sample_rate_hz, cfg.range_g) == (208.0, 16.0)


# -- the async flow against the emulated device ------------------------------------------------
class LoopbackClient:
    """Minimal stand-in for BleakClient writing straight to an emulated peripheral."""

    def __init__(self, periph, queue):
        self.periph = periph
        self.queue = queue
        self.writes = []

    async def write_gatt_char(self, uuid, data, response):
        self.writes.append(bytes(data))
        for _, char, payload in self.periph.write(uuid, bytes(data), response):
            if char == pmd.CP_UUID:
                self.queue.put_nowait(payload)


@pytest.mark.parametrize("variant", ["verity", "h10"])
def test_driver_start_against_emulator(variant):
    from imu.emulate import make_emulator

    periph = make_emulator("polar", variant=variant, cp_chunk=4)
    drv = get_driver("polar", variant=variant)

    async def run():
        queue = asyncio.Queue()
        periph.set_notify(pmd.CP_UUID, True)
        periph.set_notify(pmd.DATA_UUID, True)
        client = LoopbackClient(periph, queue)
        cfg = await drv.start(client, drv.configure(), control_queue=queue)
        return cfg, client

    cfg, client = asyncio.run(run())
    if variant == "verity":
        assert (cfg.sample_rate_hz, cfg.range_g) == (416.0, 16.0)
        assert cfg.options["factor"] == pytest.approx(16 / 32768)
        assert client.writes[0] == pmd.SDK_MODE_ON
    else:
        assert (cfg.sample_rate_hz, cfg.range_g) == (200.0, 8.0)
        assert cfg.options["factor"] is None
    assert periph.streaming


def test_batched_frames_equal_one_by_one():
    rng = np.random.default_rng(5)
    frames = []
    ts = TS
    for k in range(40):
        n = int(rng.integers(1, 60))
        walk = np.cumsum(rng.integers(-300, 300, (n, 3)), axis=0) + rng.integers(-3000, 3000, 3)
        ftype = 0x81 if k % 7 == 3 else 0x80
        ts += int(n * 1e9 / 416) + int(rng.integers(-20000, 20000))
        content = pmd.delta_encode(
            np.clip(walk, -32768, 32767), block_samples=int(rng.integers(1, 30))
        )
        frames.append(header(ts, ftype) + content)
    drv = get_driver("polar")
    cfg = drv.decode_config(sample_rate_hz=416, factor=16 / 32768)
    batched = drv.decoder(cfg).feed_many(frames)
    single = drv.decoder(cfg)
    for frame, block in zip(frames, batched, strict=True):
        ref = single.feed(frame)
        np.testing.assert_array_equal(block.acc_g, ref.acc_g)
        np.testing.assert_array_equal(block.device_time_ns, ref.device_time_ns)
    bad = [*frames[:5], frames[5][:-1], *frames[6:]]
    with pytest.raises(DecodeError, match=r"needs .* bytes, only .* remain|header cut"):
        drv.decoder(cfg).feed_many(bad)


def test_start_recovers_from_already_in_state_and_reports_sdk_status():
    from imu.emulate import make_emulator

    periph = make_emulator("polar", variant="h10")
    periph.set_notify(pmd.CP_UUID, True)
    periph.set_notify(pmd.DATA_UUID, True)
    periph.write(pmd.CP_UUID, pmd.start_request(100, 16, 4), True)  # left streaming by an app
    assert periph.streaming and periph.acc_settings["rates"] == 100
    drv = get_driver("polar", variant="h10")

    async def run():
        queue = asyncio.Queue()
        client = LoopbackClient(periph, queue)
        cfg = await drv.start(client, drv.configure(200, 8), control_queue=queue)
        return cfg, client.writes

    cfg, writes = asyncio.run(run())
    assert writes[-3:] == [
        pmd.start_request(200, 16, 8),
        pmd.stop_request(),
        pmd.start_request(200, 16, 8),
    ]
    assert periph.acc_settings["rates"] == 200 and cfg.sample_rate_hz == 200.0
    status = pmd.ControlPointAssembler().feed(
        periph.write(pmd.CP_UUID, pmd.SDK_MODE_STATUS, True)[0][2]
    )
    assert status.op_code == 6 and status.params == b"\x00"


def test_start_times_out_without_answer():
    drv = get_driver("polar", variant="h10")
    drv.response_timeout_s = 0.05

    class Silent:
        async def write_gatt_char(self, uuid, data, response):
            return None

    async def run():
        return await drv.start(Silent(), drv.configure(), control_queue=asyncio.Queue())

    with pytest.raises(HopscopeError, match="no control-point response to 01 02 within"):
        asyncio.run(run())


@pytest.mark.parametrize(
    ("variant", "rate", "range_g"),
    [("h10", 200.0, 8.0), ("oh1", 50.0, 8.0), ("verity", 416.0, 16.0)],
)
def test_generic_polar_driver_detects_the_model(variant, rate, range_g):
    from imu.emulate import make_emulator

    periph = make_emulator("polar", variant=variant)
    periph.set_notify(pmd.CP_UUID, True)
    periph.set_notify(pmd.DATA_UUID, True)
    drv = get_driver("polar")  # no variant: as found by a scan for any Polar device

    class ReadingClient(LoopbackClient):
        async def read_gatt_char(self, uuid):
            return periph.read(uuid)

    async def run():
        queue = asyncio.Queue()
        client = ReadingClient(periph, queue)
        return await drv.start(client, drv.configure(), control_queue=queue), client.writes

    cfg, writes = asyncio.run(run())
    assert cfg.options["variant"] == variant
    assert (cfg.sample_rate_hz, cfg.range_g) == (rate, range_g)
    assert (pmd.SDK_MODE_ON in writes) == (variant == "verity")
    assert periph.streaming
