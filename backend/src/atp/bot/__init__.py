"""The Telegram menu bot (`atp bot`): commands, inline menus and coin controls for the operator."""
