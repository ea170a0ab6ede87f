// err_unterminated_comment: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        /* never closed
    }
};
    }
};
