"""The article's network (pytorch/examples MNIST) and the pixel scale it takes."""
import torch.nn as nn
import torch.nn.functional as F

# Pixel statistics of the MNIST training set, as in the article's transforms.Normalize.
PIXEL_MEAN = 0.1307
PIXEL_STD = 0.3081
IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
NUM_CLASSES = 10


class Net(nn.Module):
    """The article's network (pytorch/examples MNIST): same layers, same names, same state dict.

    Only the dropout rates are parameters (the article's 0.5 by default): dropout holds no
    weights, so the state dict and the inference path stay the article's.
    """

    def __init__(self, conv_dropout=0.5, fc_dropout=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(p=conv_dropout)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.fc_dropout = fc_dropout

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=self.fc_dropout, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def normalize_pixels(pixels):
    """Raw 0..255 pixels (any float tensor) -> the network's input scale (data.to_tensors does the same in place)."""
    return (pixels / 255.0 - PIXEL_MEAN) / PIXEL_STD
