"""The network experiments. MLPs (Figs 1, 4, 6, 11, 12): data sets (``data``), initial
weights (``init``), batched MLPs (``mlp``), rank pretraining (``pretrain``), batched SGD
(``train``), rank measurement (``measure``) and one function per workflow stage
(``experiments``). CNNs (Figs 5, 7, 10, 13): VGG19 and ResNet-50 with their init
(``cnn``), their trainer (``cnn_train``), its stage (``cnn_experiments``) and the
gradient alignment of Prop. 19 (``alignment``)."""
