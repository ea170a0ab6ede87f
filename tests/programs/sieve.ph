// sieve
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var composite : int[];
        var n : int;
        var i : int;
        var k : int;
        var count : int;
        var last : int;
        n = 10000;
        composite = new int[]();
        composite[n] = 0;
        i = 2;
        count = 0;
        while (i <= n)
        {
            if (!composite[i])
            {
                count = count + 1;
                last = i;
                k = i * i;
                while (k <= n) { composite[k] = 1; k = k + i; }
            }
            i = i + 1;
        }
        p("primes up to 10000: " + count + ", largest " + last);
    }
};
