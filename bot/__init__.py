"""resend-otp: resend WhatsApp number-verification OTPs through Kaleyra from Slack."""
