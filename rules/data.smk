# Data sets (docs/figures.md, "Data"), prepared once and shared by every preset.


rule prepare_dataset:
    """Fashion-MNIST (the config's folder, the Debian package, the download), CIFAR-10
    (the config's folder, the download; md5 checked), the synthetic CIFAR-10 stand-in, or
    cifar10_auto (data.cifar10.synthetic: auto): CIFAR-10 where a source works, else the
    stand-in. Its record says which, for the labels of the figures made from it."""
    input:
        code=code("prepare_data.py"),
    output:
        data=paths.dataset("{dataset}"),
        record=paths.dataset_record("{dataset}"),
    log:
        paths.dataset_log("{dataset}"),
    wildcard_constraints:
        dataset="fashion_mnist|cifar10|cifar10_synthetic|cifar10_auto",
    params:
        sources=lambda w: data_sources(w.dataset),
        cache=paths.downloads(),
    script:
        "../scripts/prepare_data.py"
