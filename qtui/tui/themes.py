"""qtui's two themes: a calm dark default and a high-contrast one.

Both are plain Textual themes, so the palette's theme picker and `settings.theme` select
them like any built-in; `NO_COLOR` is honoured by Textual itself.
"""

from __future__ import annotations

from textual.theme import Theme

QTUI_DARK = Theme(
    name="qtui-dark",
    primary="#5FA8D3",
    secondary="#8E7CC3",
    accent="#F2B134",
    warning="#F2B134",
    error="#E06C75",
    success="#7FC97F",
    foreground="#D8DEE9",
    background="#15191F",
    surface="#1C2129",
    panel="#242B35",
    dark=True,
    variables={
        "footer-key-foreground": "#F2B134",
        "block-cursor-text-style": "bold",
    },
)

QTUI_HIGH_CONTRAST = Theme(
    name="qtui-high-contrast",
    primary="#00FFFF",
    secondary="#FF00FF",
    accent="#FFFF00",
    warning="#FFFF00",
    error="#FF5555",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
    luminosity_spread=0.25,
    text_alpha=1.0,
    variables={
        "footer-key-foreground": "#FFFF00",
        "block-cursor-background": "#FFFF00",
        "block-cursor-foreground": "#000000",
        "block-cursor-blurred-background": "#808000",
        "block-cursor-text-style": "bold",
        "border": "#FFFFFF",
        "border-blurred": "#AAAAAA",
    },
)

THEMES: tuple[Theme, ...] = (QTUI_DARK, QTUI_HIGH_CONTRAST)
DEFAULT_THEME = QTUI_DARK.name
