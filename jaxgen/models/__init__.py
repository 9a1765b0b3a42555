"""Model families, one package each with the same file set.

  jaxgen/models/<family>/
    <network>.py   the paper's Linen modules (`model.py`, or `pixelcnn.py`, `pixelrnn.py`, ...)
    sampling.py    the naive and fast samplers (pure functions of params, rng, conditioning)
    task.py        the `Task` and `make_task(config, info)`
    configs.py     builders that return finished experiment configs

Families: made, flows (NICE, RealNVP, Glow, MAF, IAF), pixel (PixelCNN, Gated PixelCNN,
PixelRNN), wavenet, gan (GAN math, DCGAN, SAGAN, the 2-D GAN), seq (Elman RNN, LSTM, deep and
bidirectional RNNs, recursive nets, encoder-decoders with Bahdanau and Luong attention). `jaxgen.experiments` looks a
family up by `config.task`; every task reads `config.model` strictly with
`jaxgen.train.config.read_model_config` and its data's shapes with `jaxgen.data.sources.feature`.
Families are imported on first use, so `import jaxgen` stays fast.
"""
