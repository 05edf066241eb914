import asyncio

import numpy as np
import pytest

from imu.decode import decode
from imu.devices import get_driver
from imu.devices import metawear as mw
from imu.errors import DecodeError

# x = +1 g, y = -1 g, z = 0.5 g at each range, LSB per g from the protocol sheet
RAW_PER_RANGE = {
    2: "00 40 00 C0 00 20",  # 16384, -16384, 8192
    4: "00 20 00 E0 00 10",  # 8192, -8192, 4096
    8: "00 10 00 F0 00 08",  # 4096, -4096, 2048
    16: "00 08 00 F8 00 04",  # 2048, -2048, 1024
}


@pytest.mark.parametrize("range_g", [2, 4, 8, 16])
def test_unpacked_golden_each_range(range_g):
    payload = bytes.fromhex("03 04 " + RAW_PER_RANGE[range_g])
    df = decode("metawear", [payload], range_g=range_g)
    np.testing.assert_array_equal(df[["ax_g", "ay_g", "az_g"]].to_numpy(), [[1.0, -1.0, 0.5]])


@pytest.mark.parametrize("register", [0x1C, 0x05])
@pytest.mark.parametrize("range_g", [2, 4, 8, 16])
def test_packed_golden_each_range(range_g, register):
    lsb = {2: 16384, 4: 8192, 8: 4096, 16: 2048}[range_g]
    # sample 1: +1, -1, +0.5 g; sample 2: full scale; sample 3: one LSB
    payload = (
        bytes((0x03, register))
        + bytes.fromhex(RAW_PER_RANGE[range_g])
        + bytes.fromhex("FF 7F 00 80 00 00")
        + bytes.fromhex("01 00 FF FF 00 00")
    )
    df = decode("metawear", [payload], range_g=range_g)
    expected = [[1.0, -1.0, 0.5], [32767 / lsb, -32768 / lsb, 0.0], [1 / lsb, -1 / lsb, 0.0]]
    np.testing.assert_array_equal(df[["ax_g", "ay_g", "az_g"]].to_numpy(), expected)
    assert list(df.columns) == ["ax_g", "ay_g", "az_g"]


def test_module_info_reply_is_not_a_sample():
    dec = mw.MetaWearDecoder(range_g=16)
    assert len(dec.feed(bytes.fromhex("03 80 04 00"))) == 0
    assert dec.module_info[3] == bytes((4, 0))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("03", "shorter than its 2-byte"),
        ("03 04 00 08 00", "data must be 8 bytes, got 5"),
        ("03 1C 00 08 00 F8 00 04 00 08", "packed data must be 20 bytes, got 10"),
        ("03 05 " + "00 " * 19, "packed data must be 20 bytes, got 21"),
        ("13 04 00 08 00 F8 00 04", "module 0x13 register 0x04 is not accelerometer data"),
    ],
)
def test_malformed(payload, reason):
    with pytest.raises(DecodeError, match=reason) as info:
        decode("metawear", [bytes.fromhex(payload)], range_g=16)
    assert str(info.value).startswith("metawear: ")
    assert bytes.fromhex(payload)[:2].hex(" ") in str(info.value)


def test_range_is_required_to_decode():
    with pytest.raises(ValueError, match="pass range_g="):
        decode("metawear", [bytes.fromhex("03 04 " + RAW_PER_RANGE[2])])


def test_decode_many_matches_decoder():
    rng = np.random.default_rng(0)
    counts = rng.integers(-32768, 32767, (30, 3))
    payloads = mw.encode_samples(counts, packed_register=0x1C)
    np.testing.assert_array_equal(mw.decode_many(payloads, 8), counts / 4096)


def test_commands_per_chip_from_the_sheet():
    for chip, cfgbytes, sub in (
        ("bmi160", "03 03 29 0c", "03 1c 01"),
        ("bmi270", "03 03 a9 03", "03 05 01"),
    ):
        drv = get_driver("metawear", chip=chip)
        cfg = drv.configure(rate_hz=200, range_g=16)
        assert cfg.options == {"chip": chip, "packed": True}
        cmds = [c.data.hex(" ") for c in drv.start_commands(cfg)]
        assert cmds == ["11 09 06 00 0c 00 00 00 58 02", cfgbytes, sub, "03 02 01 00", "03 01 01"]
        assert not any(c.response for c in drv.start_commands(cfg))
        stop = [c.data.hex(" ") for c in drv.stop_commands(cfg)]
        assert stop == ["03 01 00", "03 02 00 01", sub[:-2] + "00"]
    slow = get_driver("metawear", chip="bmi270")
    cfg = slow.configure(rate_hz=6, range_g=3)
    assert (cfg.sample_rate_hz, cfg.range_g, cfg.options["packed"]) == (6.25, 4.0, False)
    assert [c.data.hex(" ") for c in slow.start_commands(cfg)][1:] == [
        "03 03 24 01",
        "03 04 01",
        "03 02 01 00",
        "03 01 02",
    ]


def test_discovery():
    drv = get_driver("metawear")
    assert drv.matches("MetaWear", [mw.SERVICE_UUID], {})
    assert drv.matches("renamed", [], {0x626D: b"\x00"})
    assert not drv.matches("MetaWear", [], {})


@pytest.mark.parametrize("chip", ["bmi160", "bmi270"])
def test_start_detects_chip_against_emulator(chip):
    from imu.emulate import make_emulator

    periph = make_emulator("metawear", chip=chip)
    periph.set_notify(mw.NOTIFY_UUID, True)
    drv = get_driver("metawear")

    class Client:
        def __init__(self, queue):
            self.queue = queue

        async def write_gatt_char(self, uuid, data, response):
            for _, char, payload in periph.write(uuid, bytes(data), response):
                if char == mw.NOTIFY_UUID:
                    self.queue.put_nowait(payload)

    async def run():
        queue = asyncio.Queue()
        return await drv.start(Client(queue), drv.configure(), control_queue=queue)

    cfg = asyncio.run(run())
    assert cfg.options["chip"] == chip
    assert periph.streaming and periph.rate_hz == 200.0 and periph.range_g == 16.0
    assert periph.subscribed == mw.PACKED_REGISTER[chip]
