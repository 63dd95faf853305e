"""Choices every layer shares: the units quantities are counted in and the modes goods travel by."""

from django.db import models


class Unit(models.TextChoices):
    KG = "kg", "kg"
    T = "t", "tonnes"
    PCS = "pcs", "pieces"


class TransportMode(models.TextChoices):
    SEA = "sea", "Sea"
    AIR = "air", "Air"
    RAIL = "rail", "Rail"
    ROAD = "road", "Road"
