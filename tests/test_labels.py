from bnrank import labels


def test_the_note_names_the_preset_and_the_stand_in():
    assert labels.note("quick preset", True) == "quick preset; synthetic CIFAR-10 stand-in, not CIFAR-10"
    assert labels.note("quick preset", False) == "quick preset"
    assert labels.note("", True) == labels.STAND_IN and labels.note("", False) == ""


def test_a_record_adds_the_stand_in_only_where_the_data_job_used_it(tmp_path):
    """data.cifar10.synthetic: auto: the figure's jobs take what the data job prepared from its record."""
    stand_in, real = tmp_path / "stand_in.json", tmp_path / "real.json"
    labels.write_record(stand_in, "cifar10_synthetic", "synthetic stand-in (seed 0)")
    labels.write_record(real, "cifar10", "https://example.org/cifar-10-python.tar.gz")
    assert labels.recorded(stand_in) == "cifar10_synthetic" and labels.recorded(real) == "cifar10"
    assert labels.with_record("quick preset", str(stand_in)) == labels.note("quick preset", True)
    assert labels.with_record("quick preset", str(real)) == "quick preset"
    assert labels.with_record("paper; x", None) == "paper; x"  # no record: as the config decided
    context = {"dataset": "cifar10_auto", "width": 128}
    assert labels.context_with_record(context, str(stand_in)) == {"dataset": "cifar10_synthetic", "width": 128}
    assert labels.context_with_record(context, None) is context
    assert labels.context_with_record({"width": 128}, str(stand_in)) == {"width": 128}  # a table without `dataset`
