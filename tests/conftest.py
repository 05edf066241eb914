"""Shared pytest configuration: the opt-in hardware option."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--ble-address",
        action="store",
        default=None,
        help="address of a real BLE IMU for the opt-in hardware tests",
    )
    parser.addoption(
        "--ble-device",
        action="store",
        default=None,
        help="driver name of the real device given by --ble-address (e.g. polar, witmotion)",
    )


@pytest.fixture
def ble_address(request: pytest.FixtureRequest) -> str:
    address = request.config.getoption("--ble-address")
    if not address:
        pytest.skip("hardware test: pass --ble-address to run it")
    return address
