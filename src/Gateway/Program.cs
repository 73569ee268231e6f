Console.WriteLine("actorsocket");
