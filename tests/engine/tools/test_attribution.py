"""The factored integrated gradients against captum's IntegratedGradients on the same networks."""

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients

from engine.module import MemberEnsemble, TransferNetwork
from engine.tools.attribution import integrated_gradients


class _Sensitivity(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net.predictor(self.net.encode(x)[0]))


def _captum(X, nets, n_steps):
    out = []
    for net in nets:
        x = torch.as_tensor(X)
        ig = IntegratedGradients(_Sensitivity(net.eval()))
        out.append(ig.attribute(x, baselines=torch.zeros_like(x), n_steps=n_steps).detach().numpy())
    return np.mean(out, 0)


@pytest.mark.parametrize("encoder_type", ["ae", "dae", "vae"])
def test_factored_ig_equals_captum(encoder_type):
    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(37, 23)).astype(np.float32)
    nets = [TransferNetwork(23, encoder_type=encoder_type, hidden=(16,), n_latent=4, predictor_hidden=5),
            MemberEnsemble([TransferNetwork(23, encoder_type=encoder_type, hidden=(16,), n_latent=4,
                                            predictor_hidden=5) for _ in range(3)])]
    ours = integrated_gradients(X, nets, n_steps=16, batch_size=10)  # batches that do not divide the cells
    np.testing.assert_allclose(ours, _captum(X, nets, 16), rtol=1e-4, atol=1e-6)


def test_factored_ig_on_a_deeper_encoder_equals_captum():
    torch.manual_seed(1)
    X = np.random.default_rng(1).normal(size=(9, 12)).astype(np.float32)
    nets = [TransferNetwork(12, hidden=(10, 6), n_latent=3, predictor_hidden=4)]
    np.testing.assert_allclose(integrated_gradients(X, nets, n_steps=8), _captum(X, nets, 8), rtol=1e-4, atol=1e-6)
