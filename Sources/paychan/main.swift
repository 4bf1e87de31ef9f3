print("paychan")
