import pytest

from imu.devices import DRIVERS, get_driver
from imu.devices.base import DeviceDriver
from imu.errors import HopscopeError

NAMES = {"witmotion", "polar", "metawear", "movesense", "thingy52", "generic"}


def test_registry_has_every_family():
    assert set(DRIVERS) == NAMES
    for name, cls in DRIVERS.items():
        assert issubclass(cls, DeviceDriver) and cls.name == name


def test_unknown_name_lists_known():
    with pytest.raises(HopscopeError) as info:
        get_driver("garmin")
    for name in NAMES:
        assert name in str(info.value)


@pytest.mark.parametrize("name", sorted(NAMES - {"generic"}))
def test_drivers_describe_themselves(name):
    drv = get_driver(name)
    assert drv.label and drv.service_uuid == drv.service_uuid.lower()
    assert drv.notify_char_uuids[0] == drv.data_char_uuid
    assert drv.rates_hz and all(r > 0 for r in drv.rates_hz)
