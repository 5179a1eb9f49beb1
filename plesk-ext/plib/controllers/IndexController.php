<?php
/** Admin navigation entry: opens the server-wide overview as the Plesk administrator. */
class IndexController extends pm_Controller_Action
{
    protected $_accessLevel = 'admin';

    public function indexAction()
    {
        // An admin token holds '*' instead of a domain list, so it always fits in a redirect.
        $launch = Modules_PassengerPanel_Launch::forClaims(Modules_PassengerPanel_Access::forAdmin());
        $this->redirect($launch['url'], ['prependBase' => false]);
    }
}
