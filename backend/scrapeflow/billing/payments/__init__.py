"""Payment providers behind one interface (Stripe, Toss Payments); their records share `subscriptions` and
`payments`."""
