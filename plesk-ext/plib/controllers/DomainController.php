<?php
/** The button on each domain's page: opens that domain in the panel for whoever may manage it. */
class DomainController extends pm_Controller_Action
{
    protected $_accessLevel = ['admin', 'reseller', 'client'];

    public function openAction()
    {
        // contextParams => true makes Plesk pass the domain as site_id; older pages use dom_id.
        $domainId = $this->getRequest()->getParam('site_id', $this->getRequest()->getParam('dom_id'));
        $url = Modules_PassengerPanel_Launch::urlFor(Modules_PassengerPanel_Access::forDomain($domainId));
        $this->redirect($url, ['prependBase' => false]);
    }
}
