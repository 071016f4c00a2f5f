# Data sets (docs/figures.md, "Data"), prepared once and shared by every preset.


rule prepare_dataset:
    """Fashion-MNIST (the config's folder, the Debian package, the download), CIFAR-10
    (the config's folder, the download; md5 checked) or the synthetic CIFAR-10 stand-in."""
    input:
        code=code("prepare_data.py"),
    output:
        paths.dataset("{dataset}"),
    log:
        paths.dataset_log("{dataset}"),
    wildcard_constraints:
        dataset="fashion_mnist|cifar10|cifar10_synthetic",
    params:
        sources=lambda w: data_sources(w.dataset),
        cache=paths.downloads(),
    script:
        "../scripts/prepare_data.py"
