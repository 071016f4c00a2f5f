import pandas as pd

from bnrank import plots


def test_a_long_label_is_wrapped_inside_the_figure(tmp_path, monkeypatch):
    """The preset's label on a narrow figure: every line of the title lies within the
    figure's width (cut off at both edges before), and no word of the label is lost."""
    plt, _ = plots._pyplot()
    drawn = []

    def narrow(table: pd.DataFrame):
        fig, _ = plt.subplots(figsize=(4, 3))
        drawn.append(fig)
        return fig

    monkeypatch.setattr(plt, "close", lambda fig: None)  # keep the figure to look at
    label = "quick preset: reduced sizes (subsets, seeds, depths, widths); synthetic CIFAR-10 stand-in, not CIFAR-10"
    plots.draw(
        name="fig4", plot=narrow, table=pd.DataFrame(), paths=[str(tmp_path / "f.png")], preset="quick", label=label
    )
    fig = drawn[0]
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width
    assert " ".join(fig._suptitle.get_text().split()) == f"Figure 4\npreset: quick — {label}".replace("\n", " ")
