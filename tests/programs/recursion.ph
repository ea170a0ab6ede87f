// recursion
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    int fib(var n : int) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }
    int fact(var n : int) { if (n <= 1) return 1; return n * fact(n - 1); }
    int ack(var m : int, var n : int)
    {
        if (m == 0) return n + 1;
        if (n == 0) return ack(m - 1, 1);
        return ack(m - 1, ack(m, n - 1));
    }
    int depth(var n : int) { if (n == 0) return 0; return 1 + depth(n - 1); }
    int even(var n : int) { if (n == 0) return 1; return odd(n - 1); }
    int odd(var n : int) { if (n == 0) return 0; return even(n - 1); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p("fib(20)=" + fib(20) + " fact(12)=" + fact(12) + " ack(2,3)=" + ack(2, 3) + " depth " + depth(20000));
        p("even(101)=" + even(101) + " odd(101)=" + odd(101));
    }
};
