"""Pure screens and texts of the bot: data in, text and buttons out."""
