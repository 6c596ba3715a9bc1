import pytest
import torch
import torch.nn.functional as F

from engine.module import TransferNetwork, coral, mmd


def test_mmd_is_near_zero_for_one_distribution_and_grows_with_shift():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(200, 8, generator=g), torch.randn(200, 8, generator=g)
    assert mmd(x, y) < 0.02
    assert mmd(x, y + 1.0) > 5 * mmd(x, y)


def test_mmd_cannot_be_lowered_by_shrinking_the_space():
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(100, 4, generator=g), torch.randn(100, 4, generator=g) + 1.5
    assert mmd(0.01 * x, 0.01 * y) == pytest.approx(mmd(x, y).item(), rel=1e-3)


def test_coral_is_zero_for_equal_covariance_and_positive_otherwise():
    x = torch.randn(300, 6)
    assert coral(x, x) == 0
    assert coral(x, 3 * x) > 0


@pytest.mark.parametrize("encoder_type", ["ae", "dae", "vae"])
def test_every_loss_term_trains_every_part(encoder_type):
    """The transfer step's classification, alignment and reconstruction terms all reach the weights they should."""
    net = TransferNetwork(30, encoder_type=encoder_type, hidden=(16,), n_latent=4).train()
    xb, xs, y = torch.randn(32, 30), torch.randn(32, 30) + 0.5, torch.randint(0, 2, (32,)).float()

    def grads(loss):
        net.zero_grad()
        loss.backward(retain_graph=True)
        return {n: p.grad is not None and p.grad.abs().sum() > 0 for n, p in net.named_parameters()}

    ob, os_ = net(xb, "bulk"), net(xs, "sc")
    cls = grads(F.binary_cross_entropy_with_logits(ob["logit"], y))
    assert cls["encoder.body.0.weight"] and cls["predictor.net.0.weight"]
    align = grads(mmd(ob["z"], os_["z"]))
    assert align["encoder.body.0.weight"] and not align["predictor.net.0.weight"]
    rec = grads(F.mse_loss(os_["recon"], xs))
    assert rec["decoders.sc.net.0.weight"] and rec["encoder.body.0.weight"]


def test_encoder_is_nonlinear():
    net = TransferNetwork(10, hidden=(8,), n_latent=3).eval()
    x = torch.randn(5, 10)
    z1, _ = net.encode(x)
    z2, _ = net.encode(2 * x)
    assert not torch.allclose(z2, 2 * z1 - net.encode(torch.zeros(1, 10))[0], atol=1e-4)


def test_denoising_target_is_the_clean_input():
    net = TransferNetwork(50, encoder_type="dae", hidden=(16,), n_latent=4, noise=0.5).train()
    torch.manual_seed(0)
    x = torch.randn(8, 50)
    a, b = net.encode(x)[0], net.encode(x)[0]
    assert not torch.allclose(a, b)  # corruption applied to the input only
    net.eval()
    assert torch.allclose(net.encode(x)[0], net.encode(x)[0])
