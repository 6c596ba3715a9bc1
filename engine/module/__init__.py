"""Plain torch.nn building blocks (scvi-tools ``module`` style)."""

from .losses import ALIGNERS, coral, mmd
from .networks import ENCODER_TYPES, Decoder, Encoder, Predictor, TransferNetwork

__all__ = ["ALIGNERS", "ENCODER_TYPES", "Decoder", "Encoder", "Predictor", "TransferNetwork", "coral", "mmd"]
