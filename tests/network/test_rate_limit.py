"""The one rate-limit parser, against RouterOS's documented format and defaults."""

import pytest
from wisp_network_adapters.base import SpeedProfile
from wisp_network_adapters.rate_limit import parse_rate_limit


def test_missing_tx_takes_rx():
    profile = parse_rate_limit("128k")
    assert (profile.upload_kbps, profile.download_kbps) == (128, 128)
    assert profile.burst_upload_kbps == profile.burst_download_kbps == 0


def test_rx_is_the_subscriber_upload():
    profile = parse_rate_limit("64k/128M")
    assert (profile.upload_kbps, profile.download_kbps) == (64, 128000)


def test_missing_threshold_is_the_rate_and_missing_time_is_one_second():
    profile = parse_rate_limit("1M/2M 4M/8M", "p")
    assert profile == SpeedProfile(
        "p",
        download_kbps=2000,
        upload_kbps=1000,
        burst_download_kbps=8000,
        burst_upload_kbps=4000,
        burst_threshold_pct=100,
        burst_time_s=1,
    )
    # RouterOS writes that profile back with its defaults spelled out.
    assert parse_rate_limit(profile.rate_limit, "p") == profile


def test_burst_rate_without_tx_takes_rx():
    profile = parse_rate_limit("1M/2M 4M")
    assert (profile.burst_upload_kbps, profile.burst_download_kbps) == (4000, 4000)


def test_asymmetric_threshold_is_read_from_the_rx_side():
    # 750k of a 1M upload: 75 %; the download side (1M of 4M) does not decide.
    profile = parse_rate_limit("1M/4M 2M/8M 750k/1M 10s/20s")
    assert profile.burst_threshold_pct == 75
    assert profile.burst_time_s == 10


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("8", 8), ("8s", 8), ("1m", 60), ("1m30s", 90), ("1h", 3600), ("500ms", 0)],
)
def test_burst_times_are_routeros_durations(text, seconds):
    assert parse_rate_limit(f"1M/2M 2M/4M 750k/1500k {text}").burst_time_s == seconds


def test_priority_and_minimum_rates_are_accepted():
    profile = parse_rate_limit("1M/2M 2M/4M 750k/1500k 8/8 5 512k/1M")
    assert (profile.upload_kbps, profile.download_kbps, profile.burst_time_s) == (1000, 2000, 8)


@pytest.mark.parametrize(
    "text", ["fast", "1M/2M x", "1M/2M 2M/4M 1M/2M 1x", "1M 2M 1M 1s 9", "1 2 3 4 5 6 7"]
)
def test_bad_strings_raise_a_value_error_naming_the_string(text):
    with pytest.raises(ValueError, match="rate-limit"):
        parse_rate_limit(text)


def test_empty_is_no_limit():
    assert parse_rate_limit("", "none") == SpeedProfile("none", 0, 0)
