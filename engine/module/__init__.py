"""Plain torch.nn building blocks (scvi-tools ``module`` style)."""

from .losses import ALIGNERS, GroupCenters, center_loss, coral, mmd
from .networks import ENCODER_TYPES, Decoder, Encoder, MemberEnsemble, Predictor, TransferNetwork

__all__ = ["ALIGNERS", "GroupCenters", "center_loss", "ENCODER_TYPES", "Decoder", "Encoder", "MemberEnsemble", "Predictor", "TransferNetwork", "coral", "mmd"]
