-- wrk script: sends the API key given after "--" as the Authorization header.
init = function(args)
  wrk.headers["Authorization"] = "Token " .. args[1]
end
