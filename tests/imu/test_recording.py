import json

import numpy as np
import pandas as pd
import pytest

from imu.errors import InvalidRecordingError
from imu.recording import (
    RecordingMeta,
    RecordingWriter,
    read_recording,
    repair_recording,
    validate_samples,
    write_recording,
)


def _samples(n: int = 5, gyro: bool = False) -> pd.DataFrame:
    t = np.arange(n) / 100.0
    data = {
        "time_s": t,
        "ax_g": np.zeros(n),
        "ay_g": np.full(n, -1.0),
        "az_g": np.linspace(0, 1, n),
    }
    if gyro:
        data |= {"gx_dps": np.ones(n), "gy_dps": np.ones(n), "gz_dps": np.ones(n)}
    return pd.DataFrame(data)


def _write(tmp_path, text: str, name: str = "rec.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestRoundTrip:
    def test_plain_csv_without_sidecar_loads(self, tmp_path):
        path = _write(tmp_path, "time_s,ax_g,ay_g,az_g\n0.0,0,0,1\n0.01,0,0,1.5\n")
        rec = read_recording(path)
        assert list(rec.samples.columns) == ["time_s", "ax_g", "ay_g", "az_g"]
        assert rec.samples["az_g"].tolist() == [1.0, 1.5]
        assert rec.meta.source_format == "hopscope"
        assert rec.meta.athlete is None

    def test_write_then_read_keeps_values_and_meta(self, tmp_path):
        samples = _samples(gyro=True)
        meta = RecordingMeta(
            device="Polar Verity Sense",
            sample_rate_hz=416.0,
            athlete="Ana",
            leg="L",
            placement="laces",
            body_mass_kg=61.5,
            lost_samples=3,
            extra={"session": "pre-season"},
        )
        path = write_recording(tmp_path / "a.csv", samples, meta)
        rec = read_recording(path)
        pd.testing.assert_frame_equal(rec.samples, samples, atol=1e-5)
        assert rec.meta.athlete == "Ana" and rec.meta.leg == "L"
        assert rec.meta.body_mass_kg == 61.5 and rec.meta.lost_samples == 3
        assert rec.meta.extra == {"session": "pre-season"}
        assert json.loads((tmp_path / "a.json").read_text())["device"] == "Polar Verity Sense"

    def test_crlf_and_bom_are_accepted(self, tmp_path):
        path = tmp_path / "w.csv"
        path.write_bytes(b"\xef\xbb\xbftime_s,ax_g,ay_g,az_g\r\n0,0,0,1\r\n0.01,0,0,1\r\n")
        assert len(read_recording(path).samples) == 2

    def test_reading_does_not_mutate_written_frame(self, tmp_path):
        samples = _samples()
        before = samples.copy()
        write_recording(tmp_path / "b.csv", samples)
        pd.testing.assert_frame_equal(samples, before)


class TestBadInput:
    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("", "empty"),
            ("time_s,ax_g,ay_g\n0,0,0\n", "missing column 'az_g'"),
            ("time_s,ax_g,ay_g,az_g,temp_c\n0,0,0,1,20\n", "unknown column 'temp_c'"),
            ("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,abc,1\n", "line 3, column 'ay_g'"),
            ("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,,1\n", "line 3, column 'ay_g'"),
            ("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,NaN,1\n", "line 3, column 'ay_g'"),
            ("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.02,0,0,1\n0.01,0,0,1\n", "line 4, column 'time_s'"),
            ("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0,0,0,1\n", "time repeats"),
            ("time_s,ax_g,ay_g,az_g\n", "no samples"),
            ("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,0\n", "line 3"),
            ("time_s,ax_g,ay_g,az_g,gx_dps\n0,0,0,1,2\n", "gy_dps"),
        ],
    )
    def test_error_names_file_place_and_expectation(self, tmp_path, text, fragment):
        path = _write(tmp_path, text)
        with pytest.raises(InvalidRecordingError) as info:
            read_recording(path)
        message = str(info.value)
        assert str(path) in message
        assert fragment in message

    def test_missing_file(self, tmp_path):
        with pytest.raises(InvalidRecordingError, match="file not found"):
            read_recording(tmp_path / "nope.csv")

    def test_bad_sidecar_type(self, tmp_path):
        path = _write(tmp_path, "time_s,ax_g,ay_g,az_g\n0,0,0,1\n")
        (tmp_path / "rec.json").write_text('{"body_mass_kg": "heavy"}')
        with pytest.raises(InvalidRecordingError, match="body_mass_kg must be a positive number"):
            read_recording(path)

    def test_sidecar_not_json(self, tmp_path):
        path = _write(tmp_path, "time_s,ax_g,ay_g,az_g\n0,0,0,1\n")
        (tmp_path / "rec.json").write_text("{not json")
        with pytest.raises(InvalidRecordingError, match=r"rec\.json.*expected JSON"):
            read_recording(path)

    @pytest.mark.parametrize("cell", ["NA", "null", "N/A", "nan", "-nan", '""'])
    def test_null_spellings_are_an_empty_cell_or_nan(self, tmp_path, cell):
        # The first read skips pyarrow's null spellings and quotes; such a file is read
        # again with pyarrow's usual options and gives the same error.
        path = _write(tmp_path, f"time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,{cell},1\n")
        with pytest.raises(InvalidRecordingError, match=r"line 3, column 'ay_g'.*empty cell"):
            read_recording(path)

    @pytest.mark.parametrize("cell", ["inf", "-Infinity", "1e400"])
    def test_infinite_cell(self, tmp_path, cell):
        path = _write(tmp_path, f"time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,0,{cell}\n")
        with pytest.raises(InvalidRecordingError, match=r"line 3, column 'az_g'.*finite number"):
            read_recording(path)

    def test_infinite_times_are_refused_without_a_numpy_warning(self, tmp_path):
        # A step from one infinity to the next is NaN: no finite step, quietly (the test
        # configuration turns any warning into an error).
        path = _write(tmp_path, "time_s,ax_g,ay_g,az_g\n0,0,0,1\ninf,0,0,1\ninf,0,0,1\n")
        with pytest.raises(InvalidRecordingError, match=r"line 3, column 'time_s'"):
            read_recording(path)

    def test_opposite_infinities_in_a_gyroscope_column_are_refused_quietly(self, tmp_path):
        text = "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n0,0,0,1,inf,0,0\n0.01,0,0,1,-inf,0,0\n"
        path = _write(tmp_path, text)
        with pytest.raises(InvalidRecordingError, match=r"line 2, column 'gx_dps'.*finite"):
            read_recording(path)

    def test_validate_rejects_infinite(self):
        df = _samples()
        df.loc[2, "ax_g"] = np.inf
        with pytest.raises(InvalidRecordingError, match="line 4"):
            validate_samples(df)


class TestWriter:
    def test_append_in_order_and_flush_leaves_loadable_file(self, tmp_path):
        path = tmp_path / "live.csv"
        writer = RecordingWriter(path)
        writer.append(_samples(3))
        writer.flush()
        assert len(read_recording(path).samples) == 3  # readable while still open
        later = _samples(3)
        later["time_s"] += 1.0
        writer.append(later)
        writer.close()
        assert len(read_recording(path).samples) == 6

    def test_append_refuses_time_going_back(self, tmp_path):
        with RecordingWriter(tmp_path / "x.csv") as writer:
            writer.append(_samples(3))
            with pytest.raises(ValueError, match="strictly increasing"):
                writer.append(_samples(3))

    def test_repair_trims_partial_last_line(self, tmp_path):
        path = _write(tmp_path, "time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,0")
        assert repair_recording(path) == len("0.01,0,0")
        assert len(read_recording(path).samples) == 1
        assert repair_recording(path) == 0


@pytest.fixture(scope="module")
def large_lines() -> list[str]:
    """Lines of a recording of several 1 MB blocks (each column comes in many chunks)."""
    n = 120_000
    t = np.arange(n) / 1000.0
    rng = np.random.default_rng(3)
    acc = rng.normal(0, 2, (n, 3))
    acc[5000, 2] = 15.5
    table = np.column_stack([t, acc])
    return ["time_s,ax_g,ay_g,az_g", *(",".join(f"{v:.6f}" for v in row) for row in table)]


class TestLargeFile:
    """Files of many pyarrow blocks: columns joined in parallel, chunk by chunk; parsed in one
    call or in pieces side by side."""

    @pytest.fixture(autouse=True, params=["one parse", "pieces"])
    def parallel(self, monkeypatch, request):
        import imu.recording as recording

        monkeypatch.setattr(recording, "_PARALLEL_ROWS", 1)
        if request.param == "pieces":
            monkeypatch.setattr(recording, "_PIECES_MIN_BYTES", 0)
        else:
            monkeypatch.setattr(recording, "_PIECES_MIN_BYTES", 1 << 62)

    def test_values_and_checks_as_read_one_column_at_a_time(
        self, tmp_path, large_lines, monkeypatch
    ):
        import imu.recording as recording

        path = _write(tmp_path, "\n".join(large_lines) + "\n")
        rec, longest, extremes = recording._read_recording(path)
        monkeypatch.setattr(recording, "_JOIN_WORKERS", 1)
        alone, longest_alone, extremes_alone = recording._read_recording(path)
        pd.testing.assert_frame_equal(rec.samples, alone.samples, check_exact=True)
        assert longest == longest_alone == pytest.approx(0.001)
        assert extremes == extremes_alone
        assert extremes["az_g"][0] == 15.5
        expected = pd.read_csv(path)
        pd.testing.assert_frame_equal(rec.samples, expected, check_exact=True)

    @pytest.fixture()
    def chunk_starts(self, tmp_path, large_lines) -> list[int]:
        """Data rows (0-based) at which pyarrow starts a new chunk of the large file."""
        import pyarrow.csv as pacsv

        path = _write(tmp_path, "\n".join(large_lines) + "\n", name="probe.csv")
        lengths = [len(c) for c in pacsv.read_csv(path).column(0).chunks]
        assert len(lengths) > 2
        return np.cumsum(lengths)[:-1].tolist()

    def test_time_steps_across_chunks(self, tmp_path, large_lines, chunk_starts):
        # The longest step (a gap) is the one from the last time of a chunk to the first of
        # the next.
        import imu.recording as recording

        row = chunk_starts[1]
        lines = list(large_lines)
        for i in range(row, len(lines) - 1):
            cells = lines[i + 1].split(",")
            lines[i + 1] = ",".join([f"{float(cells[0]) + 0.5:.6f}", *cells[1:]])
        path = _write(tmp_path, "\n".join(lines) + "\n")
        _, longest, _ = recording._read_recording(path)
        assert longest == pytest.approx(0.501)
        lines[row + 1] = lines[row].split(",")[0] + ",0,0,1"  # the first time repeats the last
        path = _write(tmp_path, "\n".join(lines) + "\n")
        with pytest.raises(InvalidRecordingError, match=f"line {row + 2}.*repeats"):
            read_recording(path)

    @pytest.mark.parametrize(("cell", "what"), [("nan", "empty cell"), ("inf", "finite number")])
    @pytest.mark.parametrize("at", [-1, 0])
    def test_bad_time_at_a_chunk_edge(self, tmp_path, large_lines, chunk_starts, cell, what, at):
        row = chunk_starts[0] + at  # the last row of the first chunk, or the first of the next
        lines = list(large_lines)
        lines[row + 1] = ",".join([cell, *lines[row + 1].split(",")[1:]])
        path = _write(tmp_path, "\n".join(lines) + "\n")
        with pytest.raises(InvalidRecordingError, match=f"line {row + 2}, column 'time_s'.*{what}"):
            read_recording(path)

    def test_quoted_numbers_read_as_numbers(self, tmp_path, large_lines):
        quoted = [
            large_lines[0],
            *(",".join(f'"{c}"' for c in x.split(",")) for x in large_lines[1:]),
        ]
        plain = read_recording(_write(tmp_path, "\n".join(large_lines) + "\n")).samples
        path = _write(tmp_path, "\n".join(quoted) + "\n", name="quoted.csv")
        pd.testing.assert_frame_equal(read_recording(path).samples, plain, check_exact=True)

    @pytest.mark.parametrize("row", [10, 60_000, 119_990])
    def test_time_going_back_found_in_any_chunk(self, tmp_path, large_lines, row):
        bad = list(large_lines)
        bad[row + 1] = bad[row].split(",")[0] + ",0,0,1"  # repeats the previous time
        path = _write(tmp_path, "\n".join(bad) + "\n")
        with pytest.raises(InvalidRecordingError, match=f"line {row + 2}.*repeats"):
            read_recording(path)

    @pytest.mark.parametrize(("row", "column"), [(70_000, 0), (90_000, 2)])
    def test_empty_cell_found_in_any_chunk(self, tmp_path, large_lines, row, column):
        bad = list(large_lines)
        cells = bad[row + 1].split(",")
        cells[column] = ""
        bad[row + 1] = ",".join(cells)
        path = _write(tmp_path, "\n".join(bad) + "\n")
        with pytest.raises(InvalidRecordingError, match=f"line {row + 2}.*empty cell"):
            read_recording(path)


def test_integer_and_mixed_columns_load_as_float64(tmp_path):
    # Whole numbers are read as integers by pyarrow's inference, and a column can turn from
    # whole numbers to decimals far down a long file: both load as the same float64 values.
    n = 300_000
    rows = ["time_s,ax_g,ay_g,az_g"]
    rows += [f"{i / 100:.2f},0,{i % 3},1" for i in range(n - 1)]
    rows.append(f"{(n - 1) / 100:.2f},0.5,2,1.25")
    path = tmp_path / "ints.csv"
    path.write_text("\n".join(rows) + "\n")
    rec = read_recording(path)
    assert all(rec.samples[c].dtype == np.float64 for c in rec.samples.columns)
    assert rec.samples["ax_g"].iloc[-1] == 0.5 and rec.samples["az_g"].iloc[-1] == 1.25
    assert rec.samples["ay_g"].iloc[:6].tolist() == [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]


def test_integers_beyond_float_precision_load_as_the_nearest_float64(tmp_path):
    # pyarrow reads whole numbers as int64 and will not cast one beyond 2**53 to float64
    # exactly: such a column is read as float64 text instead.
    path = tmp_path / "big.csv"
    path.write_text("time_s,ax_g,ay_g,az_g\n0,0,0,1\n704201974831254116,0,0,1\n")
    rec = read_recording(path)
    assert rec.samples["time_s"].tolist() == [0.0, float("704201974831254116")]


@pytest.mark.parametrize(
    "text",
    [
        "time_s,ax_g,ay_g,az_g\n" + "".join(f"{i / 100},0.5,-1,{i % 7}\n" for i in range(50)),
        "time_s,ax_g,ay_g,az_g\r\n" + "".join(f"{i / 100},0.5,-1,1\r\n" for i in range(50)),
        "\ufefftime_s,ax_g,ay_g,az_g\n" + "\n".join(f"{i / 100},1e-3,-1,1" for i in range(50)),
        "time_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps\n"
        + "".join(f"{i / 100},0,0,1,{i},2,3\n\n" for i in range(50)),
        "time_s,ax_g,ay_g,az_g\n" + "".join(f'"{i / 100}",0,0,1\n' for i in range(50)),
        "time_s, ax_g,ay_g,az_g\n" + "".join(f"{i / 100},0,0,1\n" for i in range(50)),
        "time_s,ax_g,ay_g,az_g\n0,0,0,1\n",
    ],
    ids=["ints", "crlf", "bom-no-final-newline", "gyro-empty-lines", "quoted", "space", "one-row"],
)
def test_pieces_read_as_one_parse(tmp_path, monkeypatch, text):
    # Parsed in pieces side by side (any file can be, when the size limit is 0) or in one
    # call: the same samples, checks and errors.
    import imu.recording as recording

    path = tmp_path / "rec.csv"
    path.write_bytes(text.encode("utf-8"))

    def read() -> object:
        try:
            return recording._read_recording(path)
        except InvalidRecordingError as exc:
            return str(exc)

    monkeypatch.setattr(recording, "_PIECES_MIN_BYTES", 1 << 62)
    whole = read()
    monkeypatch.setattr(recording, "_PIECES_MIN_BYTES", 0)
    pieces = read()
    if isinstance(whole, str):
        assert pieces == whole
        return
    pd.testing.assert_frame_equal(pieces[0].samples, whole[0].samples, check_exact=True)
    assert pieces[1:] == whole[1:]


def test_spaces_around_header_names_are_ignored(tmp_path):
    path = _write(tmp_path, "time_s, ax_g ,ay_g,az_g\n0,0.5,0,1\n0.01,0.25,0,1\n")
    samples = read_recording(path).samples
    assert list(samples.columns) == ["time_s", "ax_g", "ay_g", "az_g"]
    assert samples["ax_g"].tolist() == [0.5, 0.25]
