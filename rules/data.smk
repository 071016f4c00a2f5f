# Data sets (FIGURES.md §3), prepared once and shared by every preset.


rule prepare_fashion_mnist:
    """Fashion-MNIST: the config's folder, then the Debian package, then the download."""
    output:
        f"{DATA}/fashion_mnist.pt",
    params:
        kind="fashion_mnist",
        sources=config["data"]["fashion_mnist"],
        cache=f"{DATA}/downloads",
    log:
        f"{DATA}/logs/fashion_mnist.log",
    script:
        "../scripts/prepare_data.py"


rule prepare_cifar10:
    """CIFAR-10: the config's folder, then the download (md5 checked)."""
    output:
        f"{DATA}/cifar10.pt",
    params:
        kind="cifar10",
        sources=without(config["data"]["cifar10"], "synthetic", "stand_in"),
        cache=f"{DATA}/downloads",
    log:
        f"{DATA}/logs/cifar10.log",
    script:
        "../scripts/prepare_data.py"


rule make_cifar10_stand_in:
    """The synthetic, class-structured CIFAR-10 stand-in (only when the config asks for it)."""
    output:
        f"{DATA}/cifar10_synthetic.pt",
    params:
        kind="cifar10_synthetic",
        sources=config["data"]["cifar10"]["stand_in"],
        cache="",
    log:
        f"{DATA}/logs/cifar10_synthetic.log",
    script:
        "../scripts/prepare_data.py"
